import { sessionKey, userSessionsKey } from '@gatehouse/contracts';
import { inActiveSpan } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRevokeAllSessions, adminRevokeSession } from '../src/domain/admin-revoke.js';
import { createRedisContext } from '../src/redis/context.js';
import { type AuthHarness, bearer, startAuth } from './harness.js';

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuth();
});
afterAll(() => h.close());

async function loggedIn(user: { username: string; password: string }) {
  const res = await h.login(user.username, user.password);
  expect(res.statusCode).toBe(200);
  return res.json() as { accessToken: string; sessionId: string };
}

const del = (url: string, token: string) => h.app.inject({ method: 'DELETE', url, headers: bearer(token) });

describe('admin session revocation', () => {
  it('an auditor revokes one session: DEL, auth.sessions.revoked with admin_revoked and the actor, then idempotent', async () => {
    const auditor = await h.addUser({ roles: ['auditor'] });
    const a = await loggedIn(auditor);
    const user = await h.addUser();
    const s1 = await loggedIn(user);
    const s2 = await loggedIn(user);
    const url = `/auth/admin/users/${user.id}/sessions/${s1.sessionId}`;
    const res = await del(url, a.accessToken);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ revoked: 1 });
    expect(await h.inspect.exists(sessionKey(s1.sessionId))).toBe(0);
    expect(await h.inspect.zscore(userSessionsKey(user.id), s1.sessionId)).toBeNull();
    expect(await h.inspect.exists(sessionKey(s2.sessionId))).toBe(1);
    const events = (await h.events()).filter((e) => e.type === 'auth.sessions.revoked' && e.subject === user.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      subject: user.id,
      username: user.username,
      sessionId: s1.sessionId,
      reason: 'admin_revoked',
      actor: { userId: auditor.id, username: auditor.username, sessionId: a.sessionId },
    });
    expect((await h.app.inject({ url: '/auth/session', headers: bearer(s1.accessToken) })).statusCode).toBe(401);
    expect((await del(url, a.accessToken)).json()).toEqual({ revoked: 0 });
    const after = (await h.events()).filter((e) => e.type === 'auth.sessions.revoked' && e.subject === user.id);
    expect(after).toHaveLength(1);
  });

  it("does not touch a session that belongs to another user than the path's", async () => {
    const auditor = await h.addUser({ roles: ['auditor'] });
    const a = await loggedIn(auditor);
    const [owner, other] = [await h.addUser(), await h.addUser()];
    const s = await loggedIn(owner);
    const res = await del(`/auth/admin/users/${other.id}/sessions/${s.sessionId}`, a.accessToken);
    expect(res.json()).toEqual({ revoked: 0 });
    expect(await h.inspect.exists(sessionKey(s.sessionId))).toBe(1);
  });

  it('an auditor revokes every session of a user in one event', async () => {
    const auditor = await h.addUser({ roles: ['auditor'] });
    const a = await loggedIn(auditor);
    const user = await h.addUser();
    const sessions = [await loggedIn(user), await loggedIn(user), await loggedIn(user)];
    const res = await del(`/auth/admin/users/${user.id}/sessions`, a.accessToken);
    expect(res.json()).toEqual({ revoked: 3 });
    for (const s of sessions) expect(await h.inspect.exists(sessionKey(s.sessionId))).toBe(0);
    const events = (await h.events()).filter((e) => e.type === 'auth.sessions.revoked' && e.subject === user.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ reason: 'admin_revoked', sessionId: null, actor: { userId: auditor.id } });
    const unknown = await del('/auth/admin/users/00000000-0000-4000-8000-000000000000/sessions', a.accessToken);
    expect(unknown.statusCode).toBe(404);
  });

  it('refuses a caller without the auditor role (403), without a token (401), and bad ids (400)', async () => {
    const plain = await h.addUser();
    const p = await loggedIn(plain);
    const victim = await h.addUser();
    const v = await loggedIn(victim);
    const one = `/auth/admin/users/${victim.id}/sessions/${v.sessionId}`;
    for (const url of [one, `/auth/admin/users/${victim.id}/sessions`, '/auth/admin/users/not-a-uuid/sessions']) {
      const res = await del(url, p.accessToken);
      expect(res.statusCode, url).toBe(403);
      expect(res.json().error).toBe('insufficient_role');
      expect((await h.app.inject({ method: 'DELETE', url })).statusCode, url).toBe(401);
    }
    expect(await h.inspect.exists(sessionKey(v.sessionId))).toBe(1);
    const auditor = await h.addUser({ roles: ['auditor'] });
    const a = await loggedIn(auditor);
    const bad = await del('/auth/admin/users/not-a-uuid/sessions', a.accessToken);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/userId/);
  });

  it('publishes with the trace context of the revoking request, as every other auth event does', async () => {
    const redis = createRedisContext(h.redis, { commandTimeoutMs: h.config.REDIS_COMMAND_TIMEOUT_MS });
    const auditor = await h.addUser({ roles: ['auditor'] });
    const a = await loggedIn(auditor);
    const user = await h.addUser();
    const s = await loggedIn(user);
    const actor = { userId: auditor.id, username: auditor.username, sessionId: a.sessionId };
    // The request's own header loses to the active span, as in eventJson.
    const client = { ip: '127.0.0.1', userAgent: null, traceparent: `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01` };
    const ids = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) };
    await inActiveSpan(ids, async () => {
      expect(await adminRevokeSession(redis, { userId: user.id, sessionId: s.sessionId }, actor, client)).toBe(1);
      expect(await adminRevokeAllSessions(redis, h.pool, user.id, actor, client)).toBe(0);
    });
    const events = (await h.events()).filter((e) => e.type === 'auth.sessions.revoked' && e.subject === user.id);
    expect(events.map((e) => e.traceparent)).toEqual([
      `00-${ids.traceId}-${ids.spanId}-01`,
      `00-${ids.traceId}-${ids.spanId}-01`,
    ]);
  });
});
