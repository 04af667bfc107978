import type { AuditStatsResponse, AuthEvent } from '@gatehouse/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditApp } from '../src/app.js';
import { STATS_SQL } from '../src/repositories/stats.repository.js';
import { AUDITOR, createEnv, type Env, fullEvent, makeApp, storeDirect } from './helpers.js';

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

  it('reads the range from the partial login index (EXPLAIN)', async () => {
    const filler = Array.from({ length: 6000 }, (_, i) =>
      fullEvent(
        { type: i % 10 === 0 ? 'auth.login.failed' : 'auth.logout' },
        new Date(DAY - 7 * 86_400_000 + i * 1000),
      ),
    );
    await storeDirect(env.pool, filler);
    await env.pool.query('VACUUM ANALYZE audit_events');
    const { rows } = await env.pool.query(`EXPLAIN ${STATS_SQL}`, [at(0), at(60), 60]);
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/Index Only Scan using audit_events_\w+_occurred_at_type_idx/); // the partition's audit_events_login_stats_idx
    expect(plan).not.toMatch(/Seq Scan/);
  });
});
