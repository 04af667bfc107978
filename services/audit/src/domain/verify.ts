import type { KeyObject } from 'node:crypto';
import type { AuditVerifyFailure, AuditVerifyReport } from '@gatehouse/contracts';
import type { Pool } from '@gatehouse/runtime';
import { readDigests, readHead, type StoredDigest } from '../repositories/chain.repository.js';
import { type RetentionCut, readLatestCut } from '../repositories/retention.repository.js';
import { GENESIS_HASH } from './canonical.js';
import { type ChainFault, walkChain } from './chain-walk.js';
import { digestHash, FIRST_DIGEST_PREV, isDigestSignatureValid } from './digest.js';
import { isCutSignatureValid } from './retention-cut.js';

function checkDigests(digests: StoredDigest[], publicKey: KeyObject): AuditVerifyFailure | null {
  let prev: StoredDigest | undefined;
  for (const d of digests) {
    const range = { fromSeq: d.fromSeq, toSeq: d.toSeq, seq: null, eventId: null, kind: 'digest_invalid' as const };
    const expectedFrom = prev ? prev.toSeq + 1 : 1;
    if (d.fromSeq !== expectedFrom) {
      return {
        ...range,
        message: `digest ${d.id} starts at seq ${d.fromSeq}, expected ${expectedFrom}: a digest is missing`,
      };
    }
    if (!d.prevDigestHash.equals(prev ? prev.digestHash : FIRST_DIGEST_PREV)) {
      return { ...range, message: `digest ${d.id} does not link to the digest before it` };
    }
    if (!digestHash(d).equals(d.digestHash) || !isDigestSignatureValid(d, d.signature, publicKey)) {
      return { ...range, message: `digest ${d.id} (seq ${d.fromSeq}..${d.toSeq}) has no valid signature by this key` };
    }
    prev = d;
  }
  return null;
}

function rangeOf(seq: number, digests: StoredDigest[], headSeq: number): { fromSeq: number; toSeq: number } {
  const d = digests.find((x) => x.fromSeq <= seq && seq <= x.toSeq);
  if (d) return { fromSeq: d.fromSeq, toSeq: d.toSeq };
  const after = digests.at(-1)?.toSeq ?? 0;
  return { fromSeq: after + 1, toSeq: Math.max(headSeq, seq) };
}

function digestHeadCheck(digests: StoredDigest[]) {
  const byEnd = new Map(digests.map((d) => [d.toSeq, d]));
  return (row: { seq: number; hash: Buffer }): ChainFault | null => {
    const d = byEnd.get(row.seq);
    if (!d || d.headHash.equals(row.hash)) return null;
    return {
      kind: 'chain_broken',
      seq: null,
      eventId: null,
      message: `events seq ${d.fromSeq}..${d.toSeq} were rewritten: the chain hash at seq ${d.toSeq} differs from signed digest ${d.id}`,
    };
  };
}

function checkCut(cut: RetentionCut | null, digests: StoredDigest[], publicKey: KeyObject): AuditVerifyFailure | null {
  if (!cut) return null;
  const d = digests.find((x) => x.id === cut.digestId);
  if (
    d?.toSeq === cut.throughSeq &&
    d.headHash.equals(cut.headHash) &&
    isCutSignatureValid(cut, cut.signature, publicKey)
  ) {
    return null;
  }
  return {
    kind: 'digest_invalid',
    fromSeq: 1,
    toSeq: cut.throughSeq,
    seq: null,
    eventId: null,
    message: `the retention cut at seq ${cut.throughSeq} is not signed by this key or does not match its digest`,
  };
}

/**
 * Recomputes the whole trail: every event's hash from the one before it,
 * the sequence for gaps, the chain head, and every digest's link and
 * Ed25519 signature. After retention it starts at the latest signed cut
 * (the chain hash where retention removed the events before). Reports OK or the first failing range, naming the
 * changed or missing event.
 *
 * @example
 * ```ts
 * const report = await verifyTrail(pool, publicKey);
 * if (!report.ok) console.error(report.failure?.message);
 * ```
 */
export async function verifyTrail(pool: Pool, publicKey: KeyObject): Promise<AuditVerifyReport> {
  const head = await readHead(pool);
  const digests = await readDigests(pool);
  const cut = await readLatestCut(pool);
  const digestFailure = checkCut(cut, digests, publicKey) ?? checkDigests(digests, publicKey);
  const walk = await walkChain(pool, {
    afterSeq: cut?.throughSeq ?? 0,
    prevHash: cut?.headHash ?? GENESIS_HASH,
    atRow: digestHeadCheck(digests),
  });
  const digestedThrough = digests.at(-1)?.toSeq ?? 0;
  let eventFailure: AuditVerifyFailure | null = null;
  if (walk.fault) {
    const seq = walk.fault.seq ?? walk.lastSeq + 1;
    eventFailure = { ...walk.fault, ...rangeOf(seq, digests, head.seq) };
  } else if (walk.lastSeq !== head.seq || !walk.lastHash.equals(head.hash) || digestedThrough > walk.lastSeq) {
    const end = Math.max(head.seq, digestedThrough);
    const missingTail = walk.lastSeq < end;
    eventFailure = {
      kind: missingTail ? 'event_missing' : 'head_mismatch',
      seq: missingTail ? walk.lastSeq + 1 : walk.lastSeq,
      eventId: missingTail ? null : walk.lastEventId,
      message: missingTail
        ? `events seq ${walk.lastSeq + 1}..${end} are missing (deleted): the chain head or a signed digest reaches seq ${end}`
        : `the chain head (seq ${head.seq}) does not match the last stored event ${walk.lastEventId} (seq ${walk.lastSeq})`,
      ...rangeOf(walk.lastSeq + 1, digests, head.seq),
    };
  }
  const failures = [eventFailure, digestFailure].filter((f): f is AuditVerifyFailure => f !== null);
  failures.sort((a, b) => a.fromSeq - b.fromSeq);
  return {
    ok: failures.length === 0,
    checkedEvents: walk.count,
    checkedDigests: digests.length,
    headSeq: head.seq,
    digestedThrough,
    failure: failures[0] ?? null,
  };
}
