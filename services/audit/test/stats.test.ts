import { AUDIT_STATS_BUCKETS, type AuditStatsResponse, type AuthEvent } from '@gatehouse/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditApp } from '../src/app.js';
import { loginStats, STATS_SQL } from '../src/repositories/stats.repository.js';
import { AUDITOR, createEnv, type Env, fullEvent, makeApp, rollupDrift, storeDirect } from './helpers.js';

let env: Env;
let app: AuditApp;

// A fixed hour, aligned on every bucket width up to a day.
const DAY = Date.parse('2026-03-04T00:00:00.000Z');
const at = (minutes: number, seconds = 0) => new Date(DAY + minutes * 60_000 + seconds * 1000);

beforeAll(async () => {
  env = await createEnv();
  app = await makeApp(env, { overrides: { AUDIT_CONSUME: 'false' } });
  const events: AuthEvent[] = [
    fullEvent({ type: 'auth.login.succeeded' }, at(0, 5)),
    fullEvent({ type: 'auth.login.failed' }, at(0, 59)),
    fullEvent({ type: 'auth.login.failed' }, at(1)),
    fullEvent({ type: 'auth.login.rate_limited' }, at(4, 30)),
    fullEvent({ type: 'auth.logout' }, at(4, 31)),
    fullEvent({ type: 'auth.sessions.revoked' }, at(4, 32)),
    fullEvent({ type: 'auth.login.succeeded' }, at(5)),
    fullEvent({ type: 'auth.login.succeeded' }, at(-1)),
    fullEvent({ type: 'auth.login.succeeded' }, at(60)),
  ];
  await storeDirect(env.pool, events);
});
afterAll(async () => {
  await app.close();
  await env.close();
});

async function stats(query: string) {
  const response = await app.inject({ url: `/audit/stats?${query}`, headers: AUDITOR });
  return { status: response.statusCode, body: response.json() };
}

const range = (fromMin: number, toMin: number) => `from=${at(fromMin).toISOString()}&to=${at(toMin).toISOString()}`;

describe('GET /audit/stats', () => {
  it('counts login outcomes per 1-minute bucket inside [from, to), leaving out empty buckets', async () => {
    const { status, body } = await stats(`${range(0, 60)}&bucket=60`);
    expect(status).toBe(200);
    const reply = body as AuditStatsResponse;
    expect(reply).toMatchObject({ from: at(0).toISOString(), to: at(60).toISOString(), bucket: 60 });
    expect(reply.buckets).toEqual([
      { start: at(0).toISOString(), succeeded: 1, failed: 1, rateLimited: 0 },
      { start: at(1).toISOString(), succeeded: 0, failed: 1, rateLimited: 0 },
      { start: at(4).toISOString(), succeeded: 0, failed: 0, rateLimited: 1 },
      { start: at(5).toISOString(), succeeded: 1, failed: 0, rateLimited: 0 },
    ]);
  });

  it('puts events in epoch-aligned wider buckets', async () => {
    const { body } = await stats(`${range(0, 15)}&bucket=300`);
    expect((body as AuditStatsResponse).buckets).toEqual([
      { start: at(0).toISOString(), succeeded: 1, failed: 2, rateLimited: 1 },
      { start: at(5).toISOString(), succeeded: 1, failed: 0, rateLimited: 0 },
    ]);
    const day = await stats(
      `from=${new Date(DAY - 86_400_000).toISOString()}&to=${at(1440).toISOString()}&bucket=86400`,
    );
    expect((day.body as AuditStatsResponse).buckets).toEqual([
      { start: new Date(DAY - 86_400_000).toISOString(), succeeded: 1, failed: 0, rateLimited: 0 },
      { start: at(0).toISOString(), succeeded: 3, failed: 2, rateLimited: 1 },
    ]);
  });

  it('answers 400 naming the problem for a bad bucket or range', async () => {
    const cases: Array<[string, RegExp]> = [
      [`${range(0, 60)}&bucket=61`, /bucket must be one of 60, 300/],
      [`${range(0, 60)}&bucket=abc`, /bucket/],
      [`${range(0, 60)}`, /bucket/],
      [`from=yesterday&to=${at(60).toISOString()}&bucket=60`, /from/],
      [`from=${at(0, 30).toISOString()}&to=${at(60).toISOString()}&bucket=60`, /from must be a multiple of 60/],
      [`from=${at(0).toISOString()}&to=${at(60, 1).toISOString()}&bucket=60`, /to must be a multiple of 60/],
      [`${range(60, 0)}&bucket=60`, /to must be after from/],
      [`${range(0, 121)}&bucket=60`, /121 buckets; at most 120/],
      [`${range(0, 60)}&bucket=60&extra=1`, /extra/],
    ];
    for (const [query, message] of cases) {
      const { status, body } = await stats(query);
      expect(status, query).toBe(400);
      expect(body.error).toBe('validation_failed');
      expect(body.message, query).toMatch(message);
    }
  });

  it('needs the gateway assertion', async () => {
    const response = await app.inject({ url: `/audit/stats?${range(0, 60)}&bucket=60` });
    expect(response.statusCode).toBe(401);
  });

  it('reads the range from the per-minute rollup, not the events (EXPLAIN)', async () => {
    const filler = Array.from({ length: 6000 }, (_, i) =>
      fullEvent(
        { type: i % 10 === 0 ? 'auth.login.failed' : 'auth.login.succeeded' },
        new Date(DAY - 7 * 86_400_000 + i * 60_000),
      ),
    );
    await storeDirect(env.pool, filler);
    await env.pool.query('VACUUM ANALYZE audit_login_minutes');
    const { rows } = await env.pool.query(`EXPLAIN ${STATS_SQL}`, [at(0), at(60), 60]);
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/(Index (Only )?Scan using|Bitmap Index Scan on) audit_login_minutes_pkey/);
    expect(plan).not.toMatch(/Seq Scan|audit_events/);
  });
});

/** Login outcomes per bucket counted from the events themselves: what the rollup must add up to. */
async function countedFromEvents(range: { from: Date; to: Date; bucketSeconds: number }) {
  const { rows } = await env.pool.query<{ start: Date; succeeded: number; failed: number; rate_limited: number }>(
    `SELECT date_bin(make_interval(secs => $3), occurred_at, timestamptz 'epoch') AS start,
            count(*) FILTER (WHERE type = 'auth.login.succeeded')::int AS succeeded,
            count(*) FILTER (WHERE type = 'auth.login.failed')::int AS failed,
            count(*) FILTER (WHERE type = 'auth.login.rate_limited')::int AS rate_limited
       FROM audit_events
      WHERE type IN ('auth.login.succeeded', 'auth.login.failed', 'auth.login.rate_limited')
        AND occurred_at >= $1 AND occurred_at < $2
      GROUP BY 1 ORDER BY 1`,
    [range.from, range.to, range.bucketSeconds],
  );
  return rows.map((r) => ({
    start: r.start.toISOString(),
    succeeded: r.succeeded,
    failed: r.failed,
    rateLimited: r.rate_limited,
  }));
}

/** A deterministic sequence in [0, 1) (mulberry32), so a failing case can be replayed. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES: AuthEvent['type'][] = [
  'auth.login.succeeded',
  'auth.login.failed',
  'auth.login.rate_limited',
  'auth.logout',
  'auth.sessions.revoked',
];

describe('login stats from the per-minute rollup', () => {
  it('equal a count over the events for random ranges and every bucket width, events on the edges included', async () => {
    const next = random(16);
    const start = DAY + 10 * 86_400_000;
    const span = 2 * 86_400_000;
    const times = [
      ...Array.from({ length: 1500 }, () => start + Math.floor(next() * span)),
      // On and just before minute, hour and day boundaries.
      ...Array.from({ length: 100 }, () => start + Math.floor(next() * (span / 60_000)) * 60_000),
      ...Array.from({ length: 100 }, () => start + Math.floor(next() * (span / 60_000)) * 60_000 - 1),
      ...[0, 1, 24, 47, 48].flatMap((h) => [start + h * 3_600_000, start + h * 3_600_000 - 1]),
    ];
    await storeDirect(
      env.pool,
      times.map((t) => fullEvent({ type: TYPES[Math.floor(next() * TYPES.length)] ?? 'auth.logout' }, new Date(t))),
    );
    expect(await rollupDrift(env.pool)).toEqual([]);
    let nonEmpty = 0;
    for (let i = 0; i < 150; i++) {
      const bucketSeconds = AUDIT_STATS_BUCKETS[Math.floor(next() * AUDIT_STATS_BUCKETS.length)] ?? 60;
      // Whole minutes, not necessarily whole buckets, from before the events to after them.
      const minute = (t: number) => Math.floor(t / 60_000) * 60_000;
      const from = new Date(minute(start - 3_600_000 + next() * (span + 2 * 3_600_000)));
      const to = new Date(from.getTime() + 60_000 * (1 + Math.floor(next() * (i % 3 === 0 ? 60 : 3000))));
      const range = { from, to, bucketSeconds };
      const expected = await countedFromEvents(range);
      if (expected.length > 0) nonEmpty += 1;
      expect(await loginStats(env.pool, range), JSON.stringify(range)).toEqual(expected);
    }
    expect(nonEmpty).toBeGreaterThan(100);
  });

  it('refuses a range or bucket that is not whole minutes', async () => {
    const cases = [
      { from: at(0, 30), to: at(60), bucketSeconds: 60 },
      { from: at(0), to: at(60, 1), bucketSeconds: 60 },
      { from: at(0), to: at(60), bucketSeconds: 90 },
      { from: at(0), to: at(60), bucketSeconds: 0 },
    ];
    for (const range of cases) await expect(loginStats(env.pool, range)).rejects.toThrow(RangeError);
  });

  it('counts a redelivered event once, however it comes back', async () => {
    const t = DAY + 20 * 86_400_000;
    const [a, b, c] = [
      fullEvent({ type: 'auth.login.failed' }, new Date(t + 1000)),
      fullEvent({ type: 'auth.login.succeeded' }, new Date(t + 2000)),
      fullEvent({ type: 'auth.login.rate_limited' }, new Date(t + 3000)),
    ];
    await storeDirect(env.pool, [a, b]);
    await storeDirect(env.pool, [b, c, a]); // the consumer's path: a and b are dropped as duplicates
    // An insert that meets an existing row (ON CONFLICT DO NOTHING) next to a new one: only the new one counts.
    const inserted = await env.pool.query(
      `INSERT INTO audit_events
       SELECT * FROM audit_events WHERE event_id = $1
       UNION ALL
       SELECT (SELECT max(seq) + 1 FROM audit_events), gen_random_uuid(), type, version, occurred_at, source, user_id,
              username, session_id, ip, user_agent, reason, traceparent, extra, stream_id, stored_at, prev_hash, hash
         FROM audit_events WHERE event_id = $1
       ON CONFLICT (event_id, occurred_at) DO NOTHING`,
      [a.id],
    );
    expect(inserted.rowCount).toBe(1);
    const range = { from: new Date(t), to: new Date(t + 60_000), bucketSeconds: 60 };
    expect(await loginStats(env.pool, range)).toEqual([
      { start: new Date(t).toISOString(), succeeded: 1, failed: 2, rateLimited: 1 },
    ]);
    expect(await rollupDrift(env.pool)).toEqual([]);
  });

  it('loses no count when 4 consumers store logins of the same minutes at once', async () => {
    const t = DAY + 21 * 86_400_000;
    const batches = Array.from({ length: 4 }, (_, c) =>
      Array.from({ length: 60 }, (_, i) =>
        fullEvent({ type: TYPES[(c + i) % 3] ?? 'auth.logout' }, new Date(t + i * 3000 + c)),
      ),
    );
    await Promise.all(batches.map((events) => storeDirect(env.pool, events)));
    const buckets = await loginStats(env.pool, { from: new Date(t), to: new Date(t + 180_000), bucketSeconds: 60 });
    expect(buckets.map((b) => b.succeeded + b.failed + b.rateLimited)).toEqual([80, 80, 80]);
    expect(await rollupDrift(env.pool)).toEqual([]);
  });
});
