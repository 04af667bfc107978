import type { AuditStatsBucket } from '@gatehouse/contracts';
import type { Pool } from '@gatehouse/runtime';

/**
 * Counts per bucket, computed in SQL: `date_bin` puts each login event in the
 * bucket that starts at a multiple of `bucket` seconds since the Unix epoch;
 * the WHERE clause matches the partial index `audit_events_login_stats_idx`.
 */
export const STATS_SQL = `
SELECT date_bin(make_interval(secs => $3), occurred_at, timestamptz 'epoch') AS start,
       count(*) FILTER (WHERE type = 'auth.login.succeeded')::int AS succeeded,
       count(*) FILTER (WHERE type = 'auth.login.failed')::int AS failed,
       count(*) FILTER (WHERE type = 'auth.login.rate_limited')::int AS rate_limited
  FROM audit_events
 WHERE type IN ('auth.login.succeeded', 'auth.login.failed', 'auth.login.rate_limited')
   AND occurred_at >= $1 AND occurred_at < $2
 GROUP BY 1
 ORDER BY 1`;

type Row = { start: Date; succeeded: number; failed: number; rate_limited: number };

/**
 * Memory for the statement's sort: the planner cannot tell how few buckets
 * there are, so it sorts every login of the range by bucket; at 10 M rows a
 * week is ~170,000 logins, which spill to disk under the default 4 MB
 * (docs/performance.md#audit-trail-at-10m-rows). Set for this transaction only.
 */
const STATS_WORK_MEM = '32MB';

/** Login outcomes per bucket in `[from, to)`, oldest first; empty buckets are left out. */
export async function loginStats(
  pool: Pool,
  range: { from: Date; to: Date; bucketSeconds: number },
): Promise<AuditStatsBucket[]> {
  const client = await pool.connect();
  let rows: Row[];
  try {
    await client.query(`BEGIN READ ONLY; SET LOCAL work_mem = '${STATS_WORK_MEM}'`);
    ({ rows } = await client.query<Row>(STATS_SQL, [range.from, range.to, range.bucketSeconds]));
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release(err as Error);
    throw err;
  }
  client.release();
  return rows.map((row) => ({
    start: row.start.toISOString(),
    succeeded: row.succeeded,
    failed: row.failed,
    rateLimited: row.rate_limited,
  }));
}
