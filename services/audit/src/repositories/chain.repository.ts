import type { Pool } from '@gatehouse/runtime';
import type { ChainedEvent } from '../domain/canonical.js';
import type { DigestBody } from '../domain/digest.js';

/** One stored event with its stored hashes. */
export interface StoredChainRow extends ChainedEvent {
  prevHash: Buffer;
  hash: Buffer;
}

/** One stored digest. */
export interface StoredDigest extends DigestBody {
  id: number;
  digestHash: Buffer;
  signature: Buffer;
  keyId: string;
  createdAt: Date;
}

interface EventRow {
  seq: string;
  event_id: string;
  type: string;
  version: number;
  occurred_at: Date;
  source: string;
  user_id: string | null;
  username: string | null;
  session_id: string | null;
  ip: string | null;
  user_agent: string | null;
  reason: string | null;
  traceparent: string | null;
  extra: Record<string, unknown> | null;
  prev_hash: Buffer;
  hash: Buffer;
}

/** The columns every event read selects. */
export const EVENT_COLUMNS = `seq, event_id::text, type, version, occurred_at, source, user_id, username, session_id,
  ip, user_agent, reason, traceparent, extra, prev_hash, hash`;

/** Maps an `audit_events` row to {@link StoredChainRow}. */
export function toChainRow(row: EventRow): StoredChainRow {
  return {
    seq: Number(row.seq),
    eventId: row.event_id,
    type: row.type,
    version: row.version,
    occurredAt: row.occurred_at.toISOString(),
    source: row.source,
    subject: row.user_id,
    username: row.username,
    sessionId: row.session_id,
    ip: row.ip,
    userAgent: row.user_agent,
    reason: row.reason,
    traceparent: row.traceparent,
    extra: row.extra,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** Events with seq > `afterSeq`, in seq order. */
export async function readChainPage(pool: Pool, afterSeq: number, limit: number): Promise<StoredChainRow[]> {
  const { rows } = await pool.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2`,
    [afterSeq, limit],
  );
  return rows.map(toChainRow);
}

/** The chain head: the last assigned seq and its hash. */
export async function readHead(pool: Pool): Promise<{ seq: number; hash: Buffer }> {
  const { rows } = await pool.query<{ seq: string; hash: Buffer }>('SELECT seq, hash FROM audit_chain_head WHERE id');
  return { seq: Number(rows[0]?.seq ?? 0), hash: rows[0]?.hash ?? Buffer.alloc(32) };
}

/** Every digest, oldest first. */
export async function readDigests(pool: Pool): Promise<StoredDigest[]> {
  const { rows } = await pool.query(
    `SELECT id, from_seq, to_seq, head_hash, prev_digest_hash, digest_hash, signature, key_id, created_at
     FROM audit_digests ORDER BY to_seq`,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    fromSeq: Number(r.from_seq),
    toSeq: Number(r.to_seq),
    headHash: r.head_hash,
    prevDigestHash: r.prev_digest_hash,
    digestHash: r.digest_hash,
    signature: r.signature,
    keyId: r.key_id,
    createdAt: r.created_at,
  }));
}
