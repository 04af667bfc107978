import { sessionKey, userSessionsKey } from '@gatehouse/contracts';
import { waitFor } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disableUser } from '../src/domain/users.js';
import { createRedisContext } from '../src/redis/context.js';
import { type AuthHarness, bearer, startAuth } from './harness.js';

let h: AuthHarness;
let short: AuthHarness;
beforeAll(async () => {
  [h, short] = await Promise.all([startAuth(), startAuth({ SESSION_TTL_SECONDS: '1' })]);
});
afterAll(() => Promise.all([h.close(), short.close()]));

async function loggedIn(harness: AuthHarness, user: { username: string; password: string }, ip = '127.0.0.1') {
  const res = await harness.login(user.username, user.password, { ip });
  expect(res.statusCode).toBe(200);
  return res.json() as { accessToken: string; sessionId: string };
}

describe('sessions', () => {
  it('shows the current session and lists every session, from Redis', async () => {
    const user = await h.addUser();
    const a = await loggedIn(h, user, '10.9.0.1');
    const b = await loggedIn(h, user, '10.9.0.2');
    const current = await h.app.inject({ url: '/auth/session', headers: bearer(a.accessToken) });
    expect(current.json()).toMatchObject({ sessionId: a.sessionId, userId: user.id, current: true, ip: '10.9.0.1' });
    const list = (await h.app.inject({ url: '/auth/sessions', headers: bearer(b.accessToken) })).json();
    expect(list.sessions.map((s: { sessionId: string }) => s.sessionId).sort()).toEqual(
      [a.sessionId, b.sessionId].sort(),
    );
    expect(list.sessions.find((s: { current: boolean }) => s.current).sessionId).toBe(b.sessionId);
  });

  it('logout removes the session, publishes auth.logout, refuses the token afterwards and is idempotent', async () => {
    const user = await h.addUser();
    const s = await loggedIn(h, user);
    const out = await h.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(s.accessToken) });
    expect(out.statusCode).toBe(200);
    expect(out.json()).toEqual({ revoked: 1 });
    expect(await h.inspect.exists(sessionKey(s.sessionId))).toBe(0);
    expect(await h.inspect.zscore(userSessionsKey(user.id), s.sessionId)).toBeNull();
    const events = (await h.events()).filter((e) => e.sessionId === s.sessionId);
    expect(events.map((e) => e.type)).toEqual(['auth.login.succeeded', 'auth.logout']);
    expect(events[1]).toMatchObject({ subject: user.id, username: user.username, reason: 'user_logout' });

    const again = await h.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(s.accessToken) });
    expect(again.json()).toEqual({ revoked: 0 });
    expect((await h.events()).filter((e) => e.sessionId === s.sessionId)).toHaveLength(2);
    const refused = await h.app.inject({ url: '/auth/session', headers: bearer(s.accessToken) });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error).toBe('invalid_token');
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="gatehouse", error="invalid_token"');
  });

  it('logout-all removes every session of the user and publishes auth.sessions.revoked', async () => {
    const user = await h.addUser();
    const other = await h.addUser();
    const sessions = [await loggedIn(h, user), await loggedIn(h, user), await loggedIn(h, user)];
    const first = sessions[0] as (typeof sessions)[number];
    const bystander = await loggedIn(h, other);
    const res = await h.app.inject({
      method: 'POST',
      url: '/auth/logout-all',
      headers: bearer(first.accessToken),
    });
    expect(res.json()).toEqual({ revoked: 3 });
    for (const s of sessions) expect(await h.inspect.exists(sessionKey(s.sessionId))).toBe(0);
    expect(await h.inspect.exists(userSessionsKey(user.id))).toBe(0);
    expect(await h.inspect.exists(sessionKey(bystander.sessionId))).toBe(1);
    const revoked = (await h.events()).filter((e) => e.type === 'auth.sessions.revoked' && e.subject === user.id);
    expect(revoked).toEqual([expect.objectContaining({ reason: 'logout_all', sessionId: first.sessionId })]);
    for (const s of sessions) {
      const r = await h.app.inject({ url: '/auth/sessions', headers: bearer(s.accessToken) });
      expect(r.statusCode).toBe(401);
    }
  });

  it('disabling a user revokes all of its sessions with an event', async () => {
    const user = await h.addUser();
    const s = await loggedIn(h, user);
    const result = await disableUser(
      { pool: h.pool, redis: createRedisContext(h.redis, { commandTimeoutMs: 1000 }) },
      user.username,
    );
    expect(result.revoked).toBe(1);
    expect(await h.inspect.exists(sessionKey(s.sessionId))).toBe(0);
    expect((await h.events()).at(-1)).toMatchObject({
      type: 'auth.sessions.revoked',
      reason: 'user_disabled',
      subject: user.id,
    });
    expect((await h.app.inject({ url: '/auth/session', headers: bearer(s.accessToken) })).statusCode).toBe(401);
  });

  it('refuses a token whose session has expired, though the token itself is still in date', async () => {
    const user = await short.addUser();
    const s = await loggedIn(short, user);
    expect((await short.app.inject({ url: '/auth/session', headers: bearer(s.accessToken) })).statusCode).toBe(200);
    await waitFor(
      async () => (await short.inspect.exists(sessionKey(s.sessionId))) === 0,
      5000,
      'the session to expire',
    );
    const res = await short.app.inject({ url: '/auth/session', headers: bearer(s.accessToken) });
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toBe('invalid_token');
    // The next login drops the ended session's id from the index.
    const next = await loggedIn(short, user);
    expect(await short.inspect.zrange(userSessionsKey(user.id), 0, -1)).toEqual([next.sessionId]);
  });

  it('refuses a missing or malformed Authorization header with 401', async () => {
    const none = await h.app.inject({ url: '/auth/session' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="gatehouse", error="invalid_token"');
    const basic = await h.app.inject({ url: '/auth/session', headers: { authorization: 'Basic YTpi' } });
    expect(basic.json().error).toBe('invalid_token');
  });
});
