import { AUTH_EVENT_FIELD_LIST } from '@gatehouse/contracts';
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

/** An `audit_events` row as {@link EVENT_COLUMNS} selects it: `seq`, a column per envelope field, then the rest. */
type EventRow = Record<string, unknown> & {
  seq: string;
  extra: Record<string, unknown> | null;
  prev_hash: Buffer;
  hash: Buffer;
};

/** The columns every event read selects. */
export const EVENT_COLUMNS = [
  'seq',
  ...AUTH_EVENT_FIELD_LIST.map(({ column, columnType }) => (columnType === 'uuid' ? `${column}::text` : column)),
  'extra',
  'prev_hash',
  'hash',
].join(', ');

/** Maps an `audit_events` row to {@link StoredChainRow}. */
export function toChainRow(row: EventRow): StoredChainRow {
  const stored: Record<string, unknown> = { seq: Number(row.seq) };
  for (const { name, column, columnType } of AUTH_EVENT_FIELD_LIST) {
    const value = row[column];
    stored[name] = columnType === 'timestamptz' && value instanceof Date ? value.toISOString() : value;
  }
  stored.extra = row.extra;
  return Object.assign(stored as ChainedEvent, { prevHash: row.prev_hash, hash: row.hash });
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
