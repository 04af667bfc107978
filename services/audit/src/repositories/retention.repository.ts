import type { KeyObject } from 'node:crypto';
import type { Pool, PoolClient } from '@gatehouse/runtime';
import { walkChain } from '../domain/chain-walk.js';
import { keyId } from '../domain/digest.js';
import { type CutBody, signCut } from '../domain/retention-cut.js';

/** The outcome of {@link applyRetention}. */
export type RetentionOutcome =
  | { removed: number; throughSeq: number }
  | { removed: 0; reason: 'nothing_old' | 'not_digested' | 'chain_broken'; message?: string };

/** The latest retention cut: where verify resumes. */
export interface RetentionCut extends CutBody {
  digestId: number;
  signature: Buffer;
}

/** The latest cut, or null when retention never removed anything. */
export async function readLatestCut(db: Pool | PoolClient): Promise<RetentionCut | null> {
  const { rows } = await db.query(
    `SELECT c.through_seq, c.head_hash, c.digest_id, c.signature, d.digest_hash
     FROM audit_retention_cuts c JOIN audit_digests d ON d.id = c.digest_id ORDER BY c.through_seq DESC LIMIT 1`,
  );
  const r = rows[0];
  if (!r) return null;
  return {
    throughSeq: Number(r.through_seq),
    headHash: r.head_hash,
    digestHash: r.digest_hash,
    digestId: Number(r.digest_id),
    signature: r.signature,
  };
}

/**
 * Removes the oldest events: the longest prefix of the chain whose events all
 * occurred before `now - days`, shortened to end on a signed digest's last
 * seq (events not yet sealed are never removed). The prefix is re-verified
 * first (evidence of tampering is never deleted), then one transaction
 * records a signed cut (seq, chain hash there, the digest) and deletes up to
 * it, so `verify` resumes from the cut and still passes.
 *
 * @example
 * ```ts
 * const outcome = await applyRetention(pool, keys, { days: 365 });
 * ```
 */
export async function applyRetention(
  pool: Pool,
  keys: { privateKey: KeyObject; publicKey: KeyObject },
  options: { days: number; now?: Date },
): Promise<RetentionOutcome> {
  const cutoff = new Date((options.now ?? new Date()).getTime() - options.days * 86_400_000);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Same lock as the digest writer: a digest and a cut never interleave.
    await client.query("SELECT pg_advisory_xact_lock(hashtext('gatehouse_audit_digest'))");
    const previous = await readLatestCut(client);
    const after = previous?.throughSeq ?? 0;
    const young = await client.query<{ seq: string | null }>(
      'SELECT min(seq) AS seq FROM audit_events WHERE seq > $1 AND occurred_at >= $2',
      [after, cutoff],
    );
    const head = await client.query<{ seq: string }>('SELECT seq FROM audit_chain_head WHERE id');
    const lastOld = young.rows[0]?.seq ? Number(young.rows[0].seq) - 1 : Number(head.rows[0]?.seq ?? 0);
    if (lastOld <= after) return await done(client, { removed: 0, reason: 'nothing_old' });
    const digest = await client.query<{ id: string; to_seq: string; head_hash: Buffer; digest_hash: Buffer }>(
      'SELECT id, to_seq, head_hash, digest_hash FROM audit_digests WHERE to_seq > $1 AND to_seq <= $2 ORDER BY to_seq DESC LIMIT 1',
      [after, lastOld],
    );
    const d = digest.rows[0];
    if (!d) return await done(client, { removed: 0, reason: 'not_digested' });
    const throughSeq = Number(d.to_seq);
    const walk = await walkChain(pool, {
      afterSeq: after,
      prevHash: previous?.headHash ?? Buffer.alloc(32),
      untilSeq: throughSeq,
    });
    if (walk.fault || walk.lastSeq !== throughSeq || !walk.lastHash.equals(d.head_hash)) {
      const message = walk.fault?.message ?? `the chain up to seq ${throughSeq} does not match digest ${d.id}`;
      return await done(client, { removed: 0, reason: 'chain_broken', message });
    }
    const body: CutBody = { throughSeq, headHash: d.head_hash, digestHash: d.digest_hash };
    const deleted = await client.query('DELETE FROM audit_events WHERE seq > $1 AND seq <= $2', [after, throughSeq]);
    await client.query(
      `INSERT INTO audit_retention_cuts (through_seq, head_hash, digest_id, cutoff, removed, signature, key_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [throughSeq, d.head_hash, d.id, cutoff, deleted.rowCount, signCut(body, keys.privateKey), keyId(keys.publicKey)],
    );
    await client.query('COMMIT');
    return { removed: deleted.rowCount ?? 0, throughSeq };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

async function done(client: PoolClient, outcome: RetentionOutcome): Promise<RetentionOutcome> {
  await client.query('ROLLBACK');
  return outcome;
}
