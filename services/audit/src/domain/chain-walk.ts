import type { AuditVerifyFailure } from '@gatehouse/contracts';
import type { Pool } from '@gatehouse/runtime';
import { readChainPage, type StoredChainRow } from '../repositories/chain.repository.js';
import { chainHash } from './canonical.js';

/** A failure before its range is known. */
export type ChainFault = Omit<AuditVerifyFailure, 'fromSeq' | 'toSeq'>;

/** Where a walk ended. */
export interface WalkResult {
  fault: ChainFault | null;
  lastSeq: number;
  lastHash: Buffer;
  lastEventId: string | null;
  count: number;
}

function checkRow(
  row: StoredChainRow,
  expectedSeq: number,
  prevHash: Buffer,
  prevId: string | null,
): ChainFault | null {
  if (row.seq !== expectedSeq) {
    const missing = row.seq - 1 === expectedSeq ? `seq ${expectedSeq} is` : `seq ${expectedSeq}..${row.seq - 1} are`;
    return {
      kind: 'event_missing',
      seq: expectedSeq,
      eventId: null,
      message: `event ${missing} missing (deleted): the next stored event is ${row.id} at seq ${row.seq}`,
    };
  }
  const computed = chainHash(prevHash, row);
  if (row.prevHash.equals(prevHash) && computed.equals(row.hash)) return null;
  if (!row.prevHash.equals(prevHash) && chainHash(row.prevHash, row).equals(row.hash)) {
    return {
      kind: 'event_changed',
      seq: row.seq - 1,
      eventId: prevId,
      message: `event ${prevId} (seq ${row.seq - 1}) was changed and re-hashed: event seq ${row.seq} chained from a different hash`,
    };
  }
  return {
    kind: 'event_changed',
    seq: row.seq,
    eventId: row.id,
    message: `event ${row.id} (seq ${row.seq}) was changed: its stored content no longer matches its hash`,
  };
}

/**
 * Recomputes the chain from `afterSeq` (whose hash is `prevHash`) up to
 * `untilSeq` (or the end), page by page, and stops at the first fault.
 * `atRow` may add a check on each verified row (a digest's head hash).
 */
export async function walkChain(
  pool: Pool,
  options: {
    afterSeq: number;
    prevHash: Buffer;
    untilSeq?: number;
    pageSize?: number;
    atRow?: (row: StoredChainRow) => ChainFault | null;
  },
): Promise<WalkResult> {
  const result: WalkResult = {
    fault: null,
    lastSeq: options.afterSeq,
    lastHash: options.prevHash,
    lastEventId: null,
    count: 0,
  };
  const until = options.untilSeq ?? Number.MAX_SAFE_INTEGER;
  for (;;) {
    const limit = Math.min(options.pageSize ?? 2000, until - result.lastSeq);
    const rows = limit > 0 ? await readChainPage(pool, result.lastSeq, limit) : [];
    for (const row of rows) {
      if (row.seq > until) return result;
      result.fault =
        checkRow(row, result.lastSeq + 1, result.lastHash, result.lastEventId) ?? options.atRow?.(row) ?? null;
      if (result.fault) return result;
      result.lastSeq = row.seq;
      result.lastHash = row.hash;
      result.lastEventId = row.id;
      result.count += 1;
    }
    if (rows.length < limit || limit <= 0) return result;
  }
}
