import { AUDIT_GROUP, AUTH_EVENTS_STREAM } from '@gatehouse/contracts';
import { waitFor } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditApp } from '../src/app.js';
import { createEnv, type Env, fullEvent, makeApp, pendingCount, publish, rowCount } from './helpers.js';

let env: Env;
let app: AuditApp;
beforeAll(async () => {
  env = await createEnv();
  app = await makeApp(env, { overrides: { AUDIT_RETRY_MAX_MS: '200' } });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await env.close();
});

const failed = (n: number) => Array.from({ length: n }, () => fullEvent({ type: 'auth.login.failed' }));

async function expectStoredAndReady(total: number): Promise<void> {
  await waitFor(
    async () => (await rowCount(env.pool)) === total && (await pendingCount(env.redis)) === 0,
    20_000,
    `${total} events stored`,
  );
  await waitFor(async () => (await app.inject('/readyz')).statusCode === 200, 10_000, 'ready again');
  const { rows } = await env.pool.query('SELECT count(DISTINCT seq)::int AS n, max(seq)::int AS hi FROM audit_events');
  expect(rows[0]).toEqual({ n: total, hi: total });
}

describe('the consumer recreates its group when Redis loses its data', () => {
  it('after SHUTDOWN NOSAVE and a restart of redis-server', async () => {
    await publish(env.redis, failed(100));
    await expectStoredAndReady(100);
    await env.redis.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
    await env.server.start();
    await waitFor(async () => (await env.redis.ping()) === 'PONG', 10_000, 'the test client reconnected');
    expect(await env.redis.exists(AUTH_EVENTS_STREAM)).toBe(0);
    await publish(env.redis, failed(50));
    await expectStoredAndReady(150);
    const groups = (await env.redis.xinfo('GROUPS', AUTH_EVENTS_STREAM)) as unknown[][];
    expect(groups.map((g) => g[1])).toEqual([AUDIT_GROUP]);
  }, 60_000);

  it('after FLUSHALL', async () => {
    await publish(env.redis, failed(30));
    await expectStoredAndReady(180);
    await env.redis.flushall();
    await publish(env.redis, failed(40));
    await expectStoredAndReady(220);
  }, 60_000);
});
