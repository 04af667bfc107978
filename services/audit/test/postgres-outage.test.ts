import { createPool } from '@gatehouse/runtime';
import { proxyFor, waitFor } from '@gatehouse/runtime/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEnv, type Env, fullEvent, logger, makeApp, pendingCount, publish, rowCount } from './helpers.js';

let env: Env;
beforeEach(async () => {
  env = await createEnv();
});
afterEach(async () => {
  await env.close();
});

describe('PostgreSQL outage', () => {
  it('pauses consumption and readiness while PostgreSQL is unreachable for 10 s, then stores everything', async () => {
    const proxy = await proxyFor(env.db.url);
    const pool = createPool({ url: proxy.url, logger, name: 'audit-outage' });
    const app = await makeApp(env, { pool, overrides: { AUDIT_BATCH_SIZE: '100' } });
    await app.ready();
    try {
      const burst = async (n: number) => {
        for (let i = 0; i < n; i += 100) {
          await publish(
            env.redis,
            Array.from({ length: 100 }, () => fullEvent({ type: 'auth.login.failed' })),
          );
          await new Promise((r) => setTimeout(r, 10));
        }
      };
      const first = burst(3000);
      await waitFor(async () => (await rowCount(env.pool)) > 0, 5000, 'first rows');
      await proxy.cut();
      const cutAt = Date.now();
      await first;
      await waitFor(async () => (await app.inject('/readyz')).statusCode === 503, 5000, 'not ready');
      const ready = await app.inject('/readyz');
      expect(ready.json().checks.postgres.ok).toBe(false);
      const storedDuringCut = await rowCount(env.pool);
      await burst(1000);
      await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (Date.now() - cutAt))));
      expect(await rowCount(env.pool)).toBe(storedDuringCut);
      expect(storedDuringCut).toBeLessThan(4000);
      await proxy.restore();
      await waitFor(async () => (await rowCount(env.pool)) === 4000 && (await pendingCount(env.redis)) === 0, 20_000);
      const { rows } = await env.pool.query(
        'SELECT count(DISTINCT event_id)::int AS d, max(seq)::int AS m FROM audit_events',
      );
      expect(rows[0]).toEqual({ d: 4000, m: 4000 });
      await waitFor(async () => (await app.inject('/readyz')).statusCode === 200, 5000, 'ready again');
    } finally {
      await app.close();
      await pool.end();
      await proxy.close();
    }
  });
});
