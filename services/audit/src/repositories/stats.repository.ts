import type { AuditStatsBucket } from '@gatehouse/contracts';
import type { Pool } from '@gatehouse/runtime';

/**
 * Counts per bucket, summed from the per-minute rollup `audit_login_minutes`
 * (kept by a trigger on `audit_events`, migration 005): `date_bin` puts each
 * minute in the bucket that starts at a multiple of `bucket` seconds since the
 * Unix epoch. A week is at most 10,080 rows of the rollup's primary key.
 */
export const STATS_SQL = `
SELECT date_bin(make_interval(secs => $3), minute, timestamptz 'epoch') AS start,
       sum(succeeded)::int AS succeeded, sum(failed)::int AS failed, sum(rate_limited)::int AS rate_limited
  FROM audit_login_minutes
 WHERE minute >= $1 AND minute < $2
 GROUP BY 1
 ORDER BY 1`;

type Row = { start: Date; succeeded: number; failed: number; rate_limited: number };

/**
 * Login outcomes per bucket in `[from, to)`, oldest first; empty buckets are
 * left out. The rollup counts whole minutes: `from`, `to` and the bucket must
 * be multiples of 60 s (the route accepts only such ranges; anything else
 * throws a RangeError).
 */
export async function loginStats(
  pool: Pool,
  range: { from: Date; to: Date; bucketSeconds: number },
): Promise<AuditStatsBucket[]> {
  if (
    range.from.getTime() % 60_000 !== 0 ||
    range.to.getTime() % 60_000 !== 0 ||
    !(range.bucketSeconds > 0 && range.bucketSeconds % 60 === 0)
  ) {
    throw new RangeError('login stats count whole minutes: from, to and the bucket must be multiples of 60 s');
  }
  const { rows } = await pool.query<Row>(STATS_SQL, [range.from, range.to, range.bucketSeconds]);
  return rows.map((row) => ({
    start: row.start.toISOString(),
    succeeded: row.succeeded,
    failed: row.failed,
    rateLimited: row.rate_limited,
  }));
}
