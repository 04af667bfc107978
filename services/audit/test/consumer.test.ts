import { AUDIT_GROUP, AUTH_EVENT_TYPES, AUTH_EVENTS_DEAD_STREAM, AUTH_EVENTS_STREAM } from '@gatehouse/contracts';
import { waitFor } from '@gatehouse/runtime/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { trimAcknowledged } from '../src/consumers/trim.js';
import { createEnv, type Env, fullEvent, makeApp, pendingCount, publish, rowCount } from './helpers.js';

let env: Env;
beforeEach(async () => {
  env = await createEnv();
});
afterEach(async () => {
  await env.close();
});

describe('auth-events consumer', () => {
  it('stores every event type once with every field, unknown fields included', async () => {
    const events = AUTH_EVENT_TYPES.map((type, i) => ({
      ...fullEvent({ type, reason: i % 2 ? 'invalid_credentials' : null, subject: `user-${i}` }),
      futureField: { nested: [1, 'two'], b: true },
    }));
    await publish(env.redis, [...events, ...events]);
    const app = await makeApp(env);
    await app.ready();
    try {
      await waitFor(async () => (await pendingCount(env.redis)) === 0 && (await rowCount(env.pool)) > 0);
      const { rows } = await env.pool.query('SELECT * FROM audit_events ORDER BY seq');
      expect(rows.map((r) => Number(r.seq))).toEqual(events.map((_, i) => i + 1));
      for (const [i, e] of events.entries()) {
        const row = rows.find((r) => r.event_id === e.id);
        expect(row, `event ${e.type}`).toBeDefined();
        expect({
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
        }).toEqual({
          type: e.type,
          version: 1,
          occurredAt: e.occurredAt,
          source: 'auth',
          subject: `user-${i}`,
          username: 'alice',
          sessionId: 'sid-1',
          ip: '203.0.113.7',
          userAgent: e.userAgent,
          reason: e.reason,
          traceparent: e.traceparent,
          extra: { futureField: { nested: [1, 'two'], b: true } },
        });
      }
    } finally {
      await app.close();
    }
  });

  it('dead-letters poison entries with the reason and lets the events behind them flow', async () => {
    const good = [fullEvent({ type: 'auth.logout' }), fullEvent({ type: 'auth.login.succeeded' })];
    const bad = { ...fullEvent({ type: 'auth.login.failed' }), type: 'auth.login.exploded' };
    const nul = fullEvent({ type: 'auth.login.failed', username: 'eve\u0000' });
    // An entry a crashing consumer kept failing: delivered many times, then left pending.
    const [repeated] = await publish(env.redis, [fullEvent({ type: 'auth.logout' })]);
    await env.redis.xgroup('CREATE', AUTH_EVENTS_STREAM, AUDIT_GROUP, '0', 'MKSTREAM');
    await env.redis.xreadgroup('GROUP', AUDIT_GROUP, 'crashing', 'COUNT', 1, 'STREAMS', AUTH_EVENTS_STREAM, '>');
    for (let i = 0; i < 6; i++)
      await env.redis.xclaim(AUTH_EVENTS_STREAM, AUDIT_GROUP, 'crashing', 0, String(repeated));
    await publish(env.redis, ['{not json', JSON.stringify(bad), good[0] ?? '', nul]);
    await env.redis.xadd(AUTH_EVENTS_STREAM, '*', 'other', 'field');
    await publish(env.redis, [good[1] ?? '']);
    const app = await makeApp(env, { overrides: { AUDIT_MAX_DELIVERIES: '3', AUDIT_CLAIM_IDLE_MS: '50' } });
    await app.ready();
    try {
      await waitFor(async () => (await pendingCount(env.redis)) === 0 && (await rowCount(env.pool)) === 2, 10_000);
      const stored = await env.pool.query('SELECT event_id::text AS id FROM audit_events ORDER BY seq');
      expect(stored.rows.map((r) => r.id).sort()).toEqual(good.map((g) => g.id).sort());
      const dead = await env.pool.query('SELECT stream_id, reason, payload FROM audit_dead_letters ORDER BY id');
      const reasons = dead.rows.map((r) => r.reason).sort();
      expect(reasons).toHaveLength(5);
      expect(reasons.join('\n')).toMatch(/not JSON/);
      expect(reasons.join('\n')).toMatch(/invalid envelope: type/);
      expect(reasons.join('\n')).toMatch(/NUL character/);
      expect(reasons.join('\n')).toMatch(/no "event" field/);
      expect(dead.rows.find((r) => r.stream_id === repeated)?.reason).toMatch(/^failed \d+ deliveries$/);
      const deadStream = await env.redis.xrange(AUTH_EVENTS_DEAD_STREAM, '-', '+');
      expect(deadStream).toHaveLength(5);
      expect(deadStream.map(([, f]) => f[1])).toContain('{not json');
    } finally {
      await app.close();
    }
  });

  it('removes itself from the group on close only when nothing is pending for it', async () => {
    await publish(env.redis, [fullEvent({ type: 'auth.logout' })]);
    const app = await makeApp(env, { overrides: { AUDIT_CONSUMER_NAME: 'leaving' } });
    await app.ready();
    await waitFor(async () => (await rowCount(env.pool)) === 1 && (await pendingCount(env.redis)) === 0);
    await app.close();
    const consumers = (await env.redis.xinfo('CONSUMERS', AUTH_EVENTS_STREAM, AUDIT_GROUP)) as unknown[];
    expect(consumers).toHaveLength(0);
  });

  it('trims only below what the group has stored and acknowledged, keeping the stream bounded', async () => {
    const ids = await publish(
      env.redis,
      Array.from({ length: 10 }, () => fullEvent({ type: 'auth.logout' })),
    );
    await env.redis.xgroup('CREATE', AUTH_EVENTS_STREAM, AUDIT_GROUP, '0', 'MKSTREAM');
    await env.redis.xreadgroup('GROUP', AUDIT_GROUP, 'ghost', 'COUNT', 5, 'STREAMS', AUTH_EVENTS_STREAM, '>');
    await env.redis.xack(AUTH_EVENTS_STREAM, AUDIT_GROUP, ...ids.slice(0, 3));
    expect(await trimAcknowledged(env.redis, AUTH_EVENTS_STREAM, AUDIT_GROUP)).toBe(3);
    const left = await env.redis.xrange(AUTH_EVENTS_STREAM, '-', '+');
    expect(left.map(([id]) => id)).toEqual(ids.slice(3));

    const app = await makeApp(env, { overrides: { AUDIT_TRIM_INTERVAL_MS: '20', AUDIT_CLAIM_IDLE_MS: '50' } });
    await app.ready();
    try {
      for (let i = 0; i < 10; i++) {
        await publish(
          env.redis,
          Array.from({ length: 200 }, () => fullEvent({ type: 'auth.login.failed' })),
        );
        await new Promise((r) => setTimeout(r, 20));
      }
      await waitFor(async () => (await rowCount(env.pool)) === 2007 && (await pendingCount(env.redis)) === 0, 20_000);
      await waitFor(async () => (await env.redis.xlen(AUTH_EVENTS_STREAM)) <= 1, 5000, 'stream trimmed');
      const { rows } = await env.pool.query(
        'SELECT count(DISTINCT event_id)::int AS n, max(seq)::int AS m FROM audit_events',
      );
      expect(rows[0]).toEqual({ n: 2007, m: 2007 });
    } finally {
      await app.close();
    }
  });
});
