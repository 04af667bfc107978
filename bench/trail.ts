/**
 * Audit trail at size (npm run bench:trail): generates TRAIL_ROWS (10,000,000)
 * events over TRAIL_MONTHS (12) month partitions in SQL (generate_series into
 * each month's table, then ATTACH, which builds its indexes, then the
 * per-minute login rollup the stats read, counted once), then times the
 * console's queries, one client, BENCH_SAMPLES (200) runs each with varying
 * parameters, and prints p50/p99 against the targets (p99 ≤ 50 ms per query,
 * ≤ 200 ms for stats) and each query's EXPLAIN, checked for index use and
 * partition pruning. Exit code 1 when a target or a plan check fails.
 *
 * TRAIL_DATABASE_URL reuses a database (generated only when its trail is
 * empty, and kept; pending migrations run first, and their time is printed);
 * otherwise a fresh one is created and dropped at the end.
 * The rows are not a valid hash chain (random hashes): verify is not timed.
 *
 * Before timing, the trail's tables and indexes are read into the operating
 * system's page cache (`pg_prewarm(…, 'read')`), as on a database server
 * whose memory holds its trail; TRAIL_PREWARM=0 times whatever the cache holds
 * (a page of one user's events is ~100 heap pages spread over the year: read
 * from disk, that costs tens of milliseconds).
 */
import { performance } from 'node:perf_hooks';
import type { AuditEventFilters } from '@gatehouse/contracts';
import { createLogger, createPool, type Pool } from '@gatehouse/runtime';
import { createTestDatabase, type TestDatabase } from '@gatehouse/runtime/testing';
import { migrateAudit } from '../services/audit/src/migrate.js';
import { listEvents, whereClause } from '../services/audit/src/repositories/query.repository.js';
import { monthStart } from '../services/audit/src/repositories/retention.repository.js';
import { loginStats, STATS_SQL } from '../services/audit/src/repositories/stats.repository.js';

const ROWS = Number(process.env.TRAIL_ROWS ?? 10_000_000);
const MONTHS = Number(process.env.TRAIL_MONTHS ?? 12);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
const PREWARM = process.env.TRAIL_PREWARM !== '0';
const USERS = Math.max(1, Math.round(ROWS / 100)); // about 100 events per user
const IPS = Math.max(1, Math.round(ROWS / 200));
const logger = createLogger({ service: 'bench', level: 'warn', format: 'json' });

const db: TestDatabase | undefined = process.env.TRAIL_DATABASE_URL ? undefined : await createTestDatabase();
const url = process.env.TRAIL_DATABASE_URL ?? db?.url ?? '';
const pool = createPool({ url, logger, name: 'bench-trail', max: 4 });

const now = new Date();
const firstMonth = monthStart(now, 1 - MONTHS);
const span = now.getTime() - firstMonth.getTime();
const partitionName = (m: Date) => `audit_events_${m.toISOString().slice(0, 7).replace('-', '_')}`;

/** Rows [from, to) of the trail: seq = g, spaced evenly in time from firstMonth to now. */
function rowsSql(from: number, to: number): string {
  const t0 = firstMonth.getTime();
  return `SELECT g, md5(g::text)::uuid,
    (ARRAY['auth.login.succeeded','auth.login.succeeded','auth.login.succeeded','auth.login.succeeded',
           'auth.login.succeeded','auth.login.succeeded','auth.login.succeeded','auth.login.failed',
           'auth.login.failed','auth.logout','auth.login.rate_limited','auth.sessions.revoked'])[1 + g % 12],
    1, to_timestamp((${t0} + g * ${span / ROWS}) / 1000.0), 'auth',
    'u-' || (g * 7919 % ${USERS}), 'user' || (g * 7919 % ${USERS}), 's-' || (g / 3),
    '10.' || (g * 104729 % ${IPS}) / 65536 || '.' || (g * 104729 % ${IPS}) / 256 % 256 || '.' || (g * 104729 % ${IPS}) % 256,
    (ARRAY['Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0', 'Mozilla/5.0 (iPhone) Safari/604.1', 'curl/8.5.0'])[1 + g % 3],
    CASE WHEN g % 12 IN (7, 8) THEN 'invalid_credentials' END,
    '00-' || md5(g::text) || '-' || left(md5((g + 1)::text), 16) || '-01', NULL::jsonb,
    '1-' || g, to_timestamp((${t0} + g * ${span / ROWS}) / 1000.0 + 0.05),
    decode(md5((g - 1)::text) || md5((g - 1)::text), 'hex'), decode(md5(g::text) || md5(g::text), 'hex')
  FROM generate_series(${from}::bigint, ${to - 1}) AS g`;
}

/** First seq whose time falls in month `m` or later. */
const firstSeqAt = (m: Date) => Math.max(1, Math.ceil(((m.getTime() - firstMonth.getTime()) * ROWS) / span));

async function generate(): Promise<void> {
  const client = await pool.connect();
  const started = performance.now();
  try {
    await client.query("SET statement_timeout = 0; SET maintenance_work_mem = '256MB'");
    for (let i = 0; i < MONTHS; i++) {
      const m = monthStart(firstMonth, i);
      const [from, to] = [firstSeqAt(m), i === MONTHS - 1 ? ROWS + 1 : firstSeqAt(monthStart(m, 1))];
      const name = partitionName(m);
      const t = performance.now();
      // The month's table is filled without indexes, then attached: ATTACH builds them (faster than row by row).
      await client.query(`DROP TABLE IF EXISTS ${name}; CREATE TABLE ${name} (LIKE audit_events)`);
      await client.query(`INSERT INTO ${name} ${rowsSql(from, to)}`);
      await client.query(
        `ALTER TABLE audit_events ATTACH PARTITION ${name} FOR VALUES FROM ('${m.toISOString()}') TO ('${monthStart(m, 1).toISOString()}')`,
      );
      await client.query(`VACUUM (ANALYZE) ${name}`);
      console.log(`  ${name}: ${to - from} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    // ATTACH bypasses the insert trigger that keeps the per-minute login rollup (migration 005).
    await client.query("SELECT audit_login_minutes_recount('-infinity', 'infinity')");
    await client.query(`UPDATE audit_chain_head SET seq = ${ROWS}`);
    await client.query('ANALYZE audit_events, audit_login_minutes');
  } finally {
    client.release();
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `generated ${ROWS.toLocaleString()} rows in ${seconds.toFixed(0)} s (${Math.round(ROWS / seconds)} rows/s)`,
  );
}

interface Case {
  name: string;
  target: number;
  run(i: number): Promise<unknown>;
  /** One representative query for EXPLAIN, and what its plan must show. */
  explain: { sql: string; params: unknown[]; must: RegExp[]; partitionsAtMost?: number };
}

const pick = (i: number, n: number) => (i * 2654435761) % n;
const at = (fraction: number) => new Date(firstMonth.getTime() + fraction * span);
const listSql = (filters: AuditEventFilters, cursor?: string) => {
  const where = whereClause(filters, cursor);
  return {
    sql: `SELECT * FROM audit_events ${where.sql} ORDER BY occurred_at DESC, seq DESC LIMIT 101`,
    params: where.params,
  };
};
const INDEX = (columns: string) =>
  new RegExp(`(Index (Only )?Scan( Backward)? using|Bitmap Index Scan on) audit_events_\\w+_(${columns})_idx`);

/** The page `depth` pages into a listing (the console's "next" button pressed depth times). */
async function cursorAt(filters: AuditEventFilters, depth: number): Promise<string | undefined> {
  let cursor: string | undefined;
  for (let d = 0; d < depth; d++) {
    cursor =
      (await listEvents(pool, { ...filters, ...(cursor ? { cursor } : {}), limit: 100 })).nextCursor ?? undefined;
  }
  return cursor;
}

async function cases(): Promise<Case[]> {
  const deepCursor = await cursorAt({}, 20);
  const userCursor = await cursorAt({ userId: 'u-42' }, 1);
  const hour = (i: number) => {
    const from = at(0.05 + 0.9 * (pick(i, 1000) / 1000));
    return { from: from.toISOString(), to: new Date(from.getTime() + 3_600_000).toISOString() };
  };
  const dayEnd = new Date(Math.floor(now.getTime() / 300_000) * 300_000);
  return [
    {
      name: 'latest page (no filter)',
      target: 50,
      run: () => listEvents(pool, { limit: 100 }),
      explain: { ...listSql({}), must: [INDEX('occurred_at_seq')] },
    },
    {
      name: 'by user',
      target: 50,
      run: (i) => listEvents(pool, { userId: `u-${pick(i, USERS)}`, limit: 100 }),
      explain: { ...listSql({ userId: 'u-42' }), must: [INDEX('user_id_occurred_at_seq')] },
    },
    {
      name: 'by username',
      target: 50,
      run: (i) => listEvents(pool, { username: `user${pick(i, USERS)}`, limit: 100 }),
      explain: { ...listSql({ username: 'user42' }), must: [INDEX('username_occurred_at_seq')] },
    },
    {
      name: 'by type (failed logins)',
      target: 50,
      run: () => listEvents(pool, { type: 'auth.login.failed', limit: 100 }),
      explain: { ...listSql({ type: 'auth.login.failed' }), must: [INDEX('type_occurred_at_seq')] },
    },
    {
      name: 'by address',
      target: 50,
      run: (i) => {
        const n = pick(i, IPS);
        return listEvents(pool, { ip: `10.${n >> 16}.${(n >> 8) & 255}.${n & 255}`, limit: 100 });
      },
      explain: { ...listSql({ ip: '10.0.0.42' }), must: [INDEX('ip_occurred_at_seq')] },
    },
    {
      name: 'time range (one hour)',
      target: 50,
      run: (i) => listEvents(pool, { ...hour(i), limit: 100 }),
      explain: { ...listSql(hour(7)), must: [INDEX('occurred_at_seq')], partitionsAtMost: 2 },
    },
    {
      name: 'by type in a time range',
      target: 50,
      run: (i) => listEvents(pool, { type: 'auth.login.failed', ...hour(i), limit: 100 }),
      explain: {
        ...listSql({ type: 'auth.login.failed', ...hour(7) }),
        must: [INDEX('type_occurred_at_seq|occurred_at_seq|occurred_at_type')],
        partitionsAtMost: 2,
      },
    },
    {
      name: 'keyset page 21 (no filter)',
      target: 50,
      run: () => listEvents(pool, { limit: 100, ...(deepCursor ? { cursor: deepCursor } : {}) }),
      explain: { ...listSql({}, deepCursor), must: [INDEX('occurred_at_seq')] },
    },
    {
      name: 'keyset page 2 (by user)',
      target: 50,
      run: () => listEvents(pool, { userId: 'u-42', limit: 100, ...(userCursor ? { cursor: userCursor } : {}) }),
      explain: { ...listSql({ userId: 'u-42' }, userCursor), must: [INDEX('user_id_occurred_at_seq')] },
    },
    ...(
      [
        ['stats, last 24 h in 5-minute buckets', 1, 300],
        ['stats, last 7 days in 1-hour buckets', 7, 3600],
        ['stats, 120 days in 1-day buckets', 120, 86400], // the widest range GET /audit/stats accepts
      ] as const
    ).map(([name, days, bucketSeconds]): Case => {
      const range = { from: new Date(dayEnd.getTime() - days * 86_400_000), to: dayEnd, bucketSeconds };
      return {
        name,
        target: 200,
        run: () => loginStats(pool, range),
        explain: {
          sql: STATS_SQL,
          params: [range.from, range.to, bucketSeconds],
          must: [/(Index (Only )?Scan using|Bitmap Index Scan on) audit_login_minutes_pkey/],
          partitionsAtMost: 0,
        },
      };
    }),
  ];
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/** Rows per partition (planner estimate). */
const populated = new Map<string, number>();

async function checkPlan(c: Case): Promise<string[]> {
  const { rows } = await pool.query(`EXPLAIN ${c.explain.sql}`, c.explain.params);
  const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
  console.log(`\n--- EXPLAIN ${c.name}\n${plan}`);
  const problems: string[] = [];
  // A sequential scan of an empty partition (next month's, or the default) costs nothing; of a month with rows it does.
  const scanned = [...plan.matchAll(/Seq Scan on (audit_events_\w+)/g)].map((m) => m[1]);
  const full = scanned.filter((name) => (populated.get(name) ?? 0) > 0);
  if (full.length > 0) problems.push(`sequential scan of ${full.join(', ')}`);
  for (const must of c.explain.must) if (!must.test(plan)) problems.push(`no ${must.source}`);
  const months = new Set(plan.match(/ on audit_events_\d{4}_\d{2}/g) ?? []).size;
  if (c.explain.partitionsAtMost !== undefined && months > c.explain.partitionsAtMost) {
    problems.push(`${months} month partitions read, expected pruning to ≤ ${c.explain.partitionsAtMost}`);
  }
  return problems;
}

/** Reads every partition of the trail, its indexes and the rollup into the OS page cache. */
async function prewarm(): Promise<void> {
  const t = performance.now();
  await pool.query('CREATE EXTENSION IF NOT EXISTS pg_prewarm');
  const { rows } = await pool.query<{ pages: string }>(
    `SELECT sum(pg_prewarm(c.oid, 'read'))::bigint AS pages FROM pg_class c
      WHERE c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'audit_events'::regclass)
         OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN
              (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'audit_events'::regclass))
         OR c.relname IN ('audit_login_minutes', 'audit_login_minutes_pkey')`,
  );
  const gib = (Number(rows[0]?.pages ?? 0) * 8192) / 2 ** 30;
  console.log(
    `page cache: ${gib.toFixed(2)} GiB read in ${((performance.now() - t) / 1000).toFixed(1)} s (pg_prewarm)`,
  );
}

async function main(pool: Pool) {
  const t = performance.now();
  const ran = await migrateAudit(pool);
  console.log(`migrations ${ran.join(', ') || '(none pending)'} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM (SELECT 1 FROM audit_events LIMIT 1) t');
  if (rows[0]?.n === '0') await generate();
  const sizes = await pool.query<{ name: string; n: number }>(
    `SELECT c.relname AS name, greatest(c.reltuples, 0)::float8 AS n FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'audit_events'::regclass`,
  );
  for (const r of sizes.rows) populated.set(r.name, r.n);
  if (PREWARM) await prewarm();
  const all = await cases();
  let failed = 0;
  const results: string[] = [];
  for (const c of all) {
    const problems = await checkPlan(c);
    for (let i = 0; i < 5; i++) await c.run(i); // warm-up
    const times: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const t = performance.now();
      await c.run(i + 5);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const p99 = quantile(times, 0.99);
    const ok = p99 <= c.target && problems.length === 0;
    if (!ok) failed += 1;
    results.push(
      `${c.name.padEnd(38)} p50 ${quantile(times, 0.5).toFixed(1).padStart(6)} ms  p99 ${p99.toFixed(1).padStart(6)} ms  (target ≤ ${c.target})  ${ok ? 'ok' : `FAIL ${problems.join('; ')}`}`,
    );
  }
  const size = await pool.query<{ heap: string; indexes: string; n: string }>(
    `SELECT sum(pg_table_size(c.oid)) AS heap, sum(pg_indexes_size(c.oid)) AS indexes, sum(c.reltuples)::bigint AS n
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_events'::regclass`,
  );
  const { heap, indexes, n } = size.rows[0] ?? { heap: '0', indexes: '0', n: '1' };
  console.log(
    `\non disk: table ${(Number(heap) / 2 ** 30).toFixed(2)} GiB, indexes ${(Number(indexes) / 2 ** 30).toFixed(2)} GiB: ${Math.round(Number(heap) / Number(n))} + ${Math.round(Number(indexes) / Number(n))} B per row`,
  );
  const rollup = await pool.query<{ n: string; bytes: string }>(
    "SELECT count(*) AS n, pg_total_relation_size('audit_login_minutes') AS bytes FROM audit_login_minutes",
  );
  const { n: minutes, bytes } = rollup.rows[0] ?? { n: '0', bytes: '0' };
  console.log(
    `login rollup: ${Number(minutes).toLocaleString()} minutes, ${(Number(bytes) / 2 ** 20).toFixed(1)} MiB with its index`,
  );
  console.log(
    `${ROWS.toLocaleString()} rows in ${MONTHS} month partitions, ${SAMPLES} runs per query, one client, ${PREWARM ? 'trail read into the page cache first' : 'cache as found (TRAIL_PREWARM=0)'}:`,
  );
  for (const line of results) console.log(`  ${line}`);
  return failed;
}

let failed = 1;
try {
  failed = await main(pool);
} finally {
  await pool.end();
  await db?.drop();
}
process.exit(failed === 0 ? 0 : 1);
