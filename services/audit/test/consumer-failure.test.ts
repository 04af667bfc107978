import { createPool } from '@gatehouse/runtime';
import { proxyFor, waitFor } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnv, type Env, fullEvent, logger, makeApp, pendingCount, publish, rowCount } from './helpers.js';

let env: Env;
beforeAll(async () => {
  env = await createEnv();
});
afterAll(async () => {
  await env.close();
});

const failed = (n: number) => Array.from({ length: n }, () => fullEvent({ type: 'auth.login.failed' }));

describe('a batch that fails while the stream goes quiet', () => {
  it('pauses, then stores it once PostgreSQL is back, with no unhandled rejection on the way', async () => {
    const proxy = await proxyFor(env.db.url);
    const pool = createPool({ url: proxy.url, logger, name: 'audit-quiet-failure' });
    const app = await makeApp(env, { pool, overrides: { AUDIT_BLOCK_MS: '100' } });
    await app.ready();
    try {
      await publish(env.redis, failed(10));
      await waitFor(async () => (await rowCount(env.pool)) === 10, 10_000, 'the first batch');
      // The next batch is chained in advance and its store fails; the read after it comes back empty.
      await proxy.cut();
      await publish(env.redis, failed(10));
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(await rowCount(env.pool)).toBe(10);
      await proxy.restore();
      await waitFor(
        async () => (await rowCount(env.pool)) === 20 && (await pendingCount(env.redis)) === 0,
        15_000,
        'the failed batch, stored after PostgreSQL came back',
      );
      const seqs = await env.pool.query<{ seq: string }>('SELECT seq FROM audit_events ORDER BY seq');
      expect(seqs.rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    } finally {
      await app.close();
      await pool.end();
      await proxy.close();
    }
  });
});
