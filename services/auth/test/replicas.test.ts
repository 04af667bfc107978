import { sessionKey } from '@gatehouse/contracts';
import { closeRedis, createLogger, createRedis, type Redis, waitForRedis } from '@gatehouse/runtime';
import { startRedis, type TestRedis, waitFor } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthHarness, bearer, startAuth } from './harness.js';

// REDIS_WAIT_REPLICAS=1: a login or logout is answered 200 only once a replica
// holds it, since Redis replication is asynchronous and a failover promotes
// the replica. A replica that does not confirm in time gives 503.
let h: AuthHarness;
let replica: TestRedis;
let onReplica: Redis;
beforeAll(async () => {
  h = await startAuth({ REDIS_WAIT_REPLICAS: '1', LOGIN_MAX_ATTEMPTS: '1000', LOGIN_MAX_ATTEMPTS_PER_IP: '1000' });
  replica = await startRedis(['--replicaof', '127.0.0.1', String(h.server.port)]);
  const logger = createLogger({ service: 'replica', level: 'silent', format: 'json' });
  onReplica = createRedis({ url: replica.url, logger, name: 'replica', role: 'blocking' });
  await waitForRedis(onReplica);
  await caughtUp();
});
afterAll(async () => {
  replica?.resume();
  await closeRedis(onReplica);
  await replica?.stop();
  await h?.close();
});

/** Waits until the replica is online and holds everything the primary wrote. */
async function caughtUp(): Promise<void> {
  await waitFor(
    async () => {
      const info = await h.inspect.info('replication');
      const offset = /master_repl_offset:(\d+)/.exec(info)?.[1];
      return new RegExp(`slave0:.*state=online,offset=${offset},`).test(info);
    },
    20_000,
    'the replica to catch up',
  );
}

/** Stops the replica for the duration of `during` (it keeps its link open but acknowledges nothing). */
async function replicaStopped<T>(during: () => Promise<T>): Promise<T> {
  replica.pause();
  try {
    return await during();
  } finally {
    replica.resume();
    await caughtUp();
  }
}

describe('REDIS_WAIT_REPLICAS', () => {
  it('answers a login only once the replica holds its session', async () => {
    const user = await h.addUser();
    const res = await h.login(user.username, user.password);
    expect(res.statusCode).toBe(200);
    expect(await onReplica.exists(sessionKey(res.json().sessionId))).toBe(1);
  });

  it('answers 503 to a login no replica confirms, and leaves no session behind', async () => {
    const user = await h.addUser();
    const res = await replicaStopped(() => h.login(user.username, user.password));
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toBe('dependency_unavailable');
    await waitFor(
      async () => (await h.events()).some((e) => e.username === user.username && e.reason === 'login_aborted'),
      10_000,
      'the unconfirmed session to be abandoned',
    );
    const events = (await h.events()).filter((e) => e.username === user.username);
    const sessionId = events[0]?.sessionId ?? '';
    expect(events.map((e) => e.type)).toEqual(['auth.login.succeeded', 'auth.logout']);
    expect(await h.inspect.exists(sessionKey(sessionId))).toBe(0);
  });

  it('answers 503 to a logout no replica confirms; the retry confirms it and removes nothing twice', async () => {
    const user = await h.addUser();
    const { accessToken, sessionId } = (await h.login(user.username, user.password)).json();
    const logout = () => h.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(accessToken) });
    const first = await replicaStopped(logout);
    expect(first.statusCode).toBe(503);
    expect(await h.inspect.exists(sessionKey(sessionId))).toBe(0);
    const retry = await logout();
    expect(retry.statusCode).toBe(200);
    expect(retry.json().revoked).toBe(0);
    expect(await onReplica.exists(sessionKey(sessionId))).toBe(0);
    const logouts = (await h.events()).filter((e) => e.sessionId === sessionId && e.type === 'auth.logout');
    expect(logouts).toHaveLength(1);
  });
});
