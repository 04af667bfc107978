import type { KeyObject } from 'node:crypto';
import type { Pool, PoolClient } from '@gatehouse/runtime';
import { walkChain } from '../domain/chain-walk.js';
import { keyId } from '../domain/digest.js';
import { type CutBody, signCut } from '../domain/retention-cut.js';

/** The outcome of {@link applyRetention}. */
export type RetentionOutcome =
  | { removed: number; throughSeq: number; dropped: string[] }
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

/** The first instant of the UTC month `months` after the one containing `at`. */
export function monthStart(at: Date, months = 0): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + months, 1));
}

/**
 * Creates the month partitions of `audit_events` from the month of `now`
 * through `ahead` months later (those missing), moving rows the default
 * partition held for those months into them. Returns the months created.
 */
export async function ensurePartitions(pool: Pool, options: { now?: Date; ahead: number }): Promise<string[]> {
  const now = options.now ?? new Date();
  const created: string[] = [];
  for (let n = 0; n <= options.ahead; n++) {
    const month = monthStart(now, n);
    const { rows } = await pool.query<{ added: boolean }>('SELECT audit_events_add_partition($1) AS added', [month]);
    if (rows[0]?.added) created.push(month.toISOString().slice(0, 7));
  }
  return created;
}

const PARTITION = /^audit_events_(\d{4})_(\d{2})$/;

/**
 * Detaches and drops every month partition that ends at or before `cutoff`.
 * Rows in them past `throughSeq` (stored after the cut, or not yet sealed)
 * are copied first: with their month detached they go to the default
 * partition, unchanged, and a later cut removes them.
 */
async function dropPartitionsBefore(client: PoolClient, cutoff: Date, throughSeq: number): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'audit_events'::regclass ORDER BY 1`,
  );
  const old = rows
    .map((r) => ({ name: r.name, m: PARTITION.exec(r.name) }))
    .filter(({ m }) => m !== null && monthStart(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1)), 1) <= cutoff)
    .map((r) => r.name);
  for (const name of old) {
    // name matched PARTITION: only letters, digits and underscores.
    await client.query(`ALTER TABLE audit_events DETACH PARTITION ${name}`);
    await client.query(`INSERT INTO audit_events SELECT * FROM ${name} WHERE seq > $1`, [throughSeq]);
    await client.query(`DROP TABLE ${name}`);
  }
  return old;
}

/**
 * Removes the oldest events, a whole month at a time: a month goes once it
 * ended more than `days` ago, as the longest prefix of the chain whose
 * events all occurred before that month boundary, shortened to end on a
 * signed digest's last seq (events not yet sealed are never removed). The
 * prefix is re-verified first (evidence of tampering is never deleted), then
 * one transaction records a signed cut (seq, chain hash there, the digest),
 * detaches and drops the expired month partitions and deletes the rest of
 * the prefix (rows the default partition holds), so `verify` resumes from
 * the cut and still passes. The per-minute login counts before the cutoff
 * (`audit_login_minutes`) are counted again in the same transaction.
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
  const cutoff = monthStart(new Date((options.now ?? new Date()).getTime() - options.days * 86_400_000));
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
    // DETACH locks the whole table: give up (and retry at the next run) rather than queue writers behind a long reader.
    await client.query(`SET LOCAL lock_timeout = '5s'`);
    const dropped = await dropPartitionsBefore(client, cutoff, throughSeq);
    await client.query('DELETE FROM audit_events WHERE seq > $1 AND seq <= $2 AND occurred_at < $3', [
      after,
      throughSeq,
      cutoff,
    ]);
    // The login rollup (migration 005) follows inserts only: count again what is left before the cutoff.
    await client.query('SELECT audit_login_minutes_recount($1, $2)', ['-infinity', cutoff]);
    // The walk proved seq after+1..throughSeq gap-free, so that is what went.
    const removed = throughSeq - after;
    const body: CutBody = { throughSeq, headHash: d.head_hash, digestHash: d.digest_hash };
    await client.query(
      `INSERT INTO audit_retention_cuts (through_seq, head_hash, digest_id, cutoff, removed, signature, key_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [throughSeq, d.head_hash, d.id, cutoff, removed, signCut(body, keys.privateKey), keyId(keys.publicKey)],
    );
    await client.query('COMMIT');
    return { removed, throughSeq, dropped };
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
