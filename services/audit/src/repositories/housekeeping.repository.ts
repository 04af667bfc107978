import { rm } from 'node:fs/promises';
import type { Pool } from '@gatehouse/runtime';

/** How long each kind of operational record is kept, in days. None of them is part of the hash chain. */
export interface HousekeepingDays {
  exports: number;
  reads: number;
  alerts: number;
  deadLetters: number;
}

/** What one {@link removeExpired} run removed. */
export type HousekeepingOutcome = Record<keyof HousekeepingDays, number>;

/** The tables trimmed by age: each has a bigserial `id` that grows with its time column. */
const TABLES = {
  reads: { table: 'audit_reads', at: 'at' },
  alerts: { table: 'audit_alerts', at: 'created_at' },
  deadLetters: { table: 'audit_dead_letters', at: 'dead_at' },
} as const;

const BATCH = 5000;
const MAX_BATCHES = 20;

/**
 * Deletes the oldest rows of `table` written before `before`, by keyset on
 * `id` (oldest first), at most {@link MAX_BATCHES} statements of
 * {@link BATCH} rows: each statement reads a fixed number of rows whatever
 * the table's size, and the next run resumes.
 */
async function trimOldest(pool: Pool, table: keyof typeof TABLES, before: Date): Promise<number> {
  const { table: name, at } = TABLES[table];
  let removed = 0;
  for (let n = 0; n < MAX_BATCHES; n++) {
    const deleted = await pool.query(
      `WITH oldest AS (SELECT id FROM ${name} ORDER BY id LIMIT ${BATCH})
       DELETE FROM ${name} t USING oldest WHERE t.id = oldest.id AND t.${at} < $1`,
      [before],
    );
    removed += deleted.rowCount ?? 0;
    if ((deleted.rowCount ?? 0) < BATCH) break;
  }
  return removed;
}

/** Finished exports older than `before`: the file first, then the row (a crash in between leaves a row to retry). */
async function removeOldExports(pool: Pool, before: Date): Promise<number> {
  const { rows } = await pool.query<{ id: string; file: string | null }>(
    `SELECT id, file FROM audit_exports WHERE state IN ('completed', 'failed') AND created_at < $1
     ORDER BY created_at LIMIT 1000`,
    [before],
  );
  for (const r of rows) if (r.file) await rm(r.file, { force: true });
  if (rows.length === 0) return 0;
  const deleted = await pool.query('DELETE FROM audit_exports WHERE id = ANY($1::uuid[])', [rows.map((r) => r.id)]);
  return deleted.rowCount ?? 0;
}

/**
 * Removes what has outlived its setting: finished exports (file and row),
 * `audit_reads`, alerts and stored dead letters. Bounded per run. The
 * events' own retention (signed cuts on the chain) is `applyRetention`.
 *
 * @example
 * ```ts
 * await removeExpired(pool, { exports: 7, reads: 365, alerts: 365, deadLetters: 90 });
 * ```
 */
export async function removeExpired(
  pool: Pool,
  days: HousekeepingDays,
  now = new Date(),
): Promise<HousekeepingOutcome> {
  const ago = (d: number) => new Date(now.getTime() - d * 86_400_000);
  return {
    exports: await removeOldExports(pool, ago(days.exports)),
    reads: await trimOldest(pool, 'reads', ago(days.reads)),
    alerts: await trimOldest(pool, 'alerts', ago(days.alerts)),
    deadLetters: await trimOldest(pool, 'deadLetters', ago(days.deadLetters)),
  };
}
