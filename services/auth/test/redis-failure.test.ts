import {
  AUTH_EVENTS_STREAM,
  GatehouseError,
  loginAttemptsKey,
  sessionKey,
  userSessionsKey,
} from '@gatehouse/contracts';
import { closeRedis, createLogger, createRedis, type Redis, waitForRedis } from '@gatehouse/runtime';
import { waitFor } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '../src/domain/sessions.js';
import { createRedisContext } from '../src/redis/context.js';
import { type AuthHarness, startAuth } from './harness.js';

let h: AuthHarness;
let control: Redis;
beforeAll(async () => {
  h = await startAuth({ LOGIN_MAX_ATTEMPTS: '1000', LOGIN_MAX_ATTEMPTS_PER_IP: '1000' });
  const logger = createLogger({ service: 'control', level: 'silent', format: 'json' });
  control = createRedis({ url: h.server.url, logger, name: 'control', commandTimeoutMs: 300 });
  await waitForRedis(control);
});
afterAll(async () => {
  await closeRedis(control);
  await h.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function sessionKeys(): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await h.inspect.scan(cursor, 'MATCH', 'session:*', 'COUNT', 1000);
    found.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return found.map((k) => k.slice('session:'.length));
}

/** Pauses Redis for `ms`, guaranteeing it is resumed even if an assertion throws meanwhile. */
async function stalled<T>(ms: number, during: () => Promise<T>): Promise<T> {
  h.server.pause();
  try {
    return await during();
  } finally {
    await sleep(Math.max(0, ms));
    h.server.resume();
  }
}

describe('Redis stalled or down', () => {
  it('answers 503 within about a second when Redis stalls mid-login, and the session is not written on resume', async () => {
    const user = await h.addUser();
    const streamBefore = await h.inspect.xlen(AUTH_EVENTS_STREAM);
    const counter = loginAttemptsKey(user.username);
    const started = Date.now();
    const pending = h.login(user.username, user.password);
    // The rate-limit script runs first; stop Redis the moment it has, i.e. while the password is being checked.
    while ((await h.inspect.exists(counter)) === 0) {
      if (Date.now() - started > 5000) throw new Error('the login never reached Redis');
    }
    const res = await stalled(0, async () => {
      // A plain write sent now waits in the socket and is applied on resume: the hazard the deadline prevents.
      await control.set(`control:${user.username}`, '1').catch(() => undefined);
      return await pending;
    });
    const elapsed = Date.now() - started;
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toBe('dependency_unavailable');
    expect(elapsed).toBeLessThan(2500);

    await waitFor(
      async () => (await h.inspect.exists(`control:${user.username}`)) === 1,
      3000,
      'the replayed control write',
    );
    expect(await h.inspect.exists(userSessionsKey(user.id))).toBe(0);
    expect(await sessionKeys()).toEqual([]);
    expect(await h.inspect.xlen(AUTH_EVENTS_STREAM)).toBe(streamBefore);
    const ok = await h.login(user.username, user.password);
    expect(ok.statusCode).toBe(200);
  });

  it('refuses a session write that reaches Redis after its deadline', async () => {
    const ctx = createRedisContext(h.redis, { commandTimeoutMs: 600 });
    await ctx.clock.measure(h.redis);
    const sessionId = 'deadline-test-session';
    const write = stalled(1200, () =>
      createSession(ctx, {
        sessionId,
        user: { id: 'u-deadline', username: 'deadline', roles: [] },
        client: { ip: '127.0.0.1', userAgent: null, traceparent: null },
        createdAt: Math.floor(Date.now() / 1000),
        ttlSeconds: 60,
        idleTimeoutSeconds: 0,
      }).catch((err: unknown) => err),
    );
    const err = await write;
    expect(err).toBeInstanceOf(GatehouseError);
    expect((err as GatehouseError).code).toBe('dependency_unavailable');
    await h.inspect.ping();
    expect(await h.inspect.exists(sessionKey(sessionId))).toBe(0);
    const events = await h.events();
    expect(events.filter((e) => e.sessionId === sessionId)).toEqual([]);
  });

  it('never leaves a session without its event, or an event without its session, when Redis stalls under load', async () => {
    const users = await Promise.all([h.addUser(), h.addUser(), h.addUser(), h.addUser()]);
    const before = new Set(await sessionKeys());
    const granted = new Set<string>();
    const statuses: number[] = [];
    let running = true;
    const worker = async (u: { username: string; password: string }) => {
      while (running) {
        const res = await h.login(u.username, u.password);
        statuses.push(res.statusCode);
        if (res.statusCode === 200) granted.add(res.json().sessionId);
      }
    };
    const workers = users.map(worker);
    await waitFor(async () => statuses.includes(200), 10_000, 'a login before the stall');
    await stalled(1500, async () => undefined);
    const resumedAt = statuses.length;
    await waitFor(async () => statuses.slice(resumedAt).includes(200), 10_000, 'a login after the stall');
    running = false;
    await Promise.all(workers);

    expect(statuses).toContain(200);
    expect(statuses).toContain(503);
    // A write Redis applied just before it stopped, whose reply came too late, is cleaned up once Redis answers.
    const expected = [...granted].sort();
    const newSessions = async () => (await sessionKeys()).filter((id) => !before.has(id)).sort();
    await waitFor(async () => (await newSessions()).length === expected.length, 5000, 'aborted sessions cleaned up');
    expect(await newSessions()).toEqual(expected);
    const events = await h.events();
    const idsOf = (type: string, reason?: string) =>
      events.filter((e) => e.type === type && (reason === undefined || e.reason === reason)).map((e) => e.sessionId);
    const aborted = idsOf('auth.logout', 'login_aborted');
    const succeeded = idsOf('auth.login.succeeded').filter((id) => !aborted.includes(id) && !before.has(id as string));
    expect(succeeded.sort()).toEqual(expected);
  });

  it('answers 503 when Redis is down, reports not ready, and recovers when it is back', async () => {
    const user = await h.addUser();
    await h.server.kill();
    const res = await h.login(user.username, user.password);
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toBe('dependency_unavailable');
    const ready = await h.app.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks.redis.ok).toBe(false);
    await h.server.start();
    await waitFor(
      async () => (await h.login(user.username, user.password)).statusCode === 200,
      10_000,
      'login after restart',
    );
  });
});
