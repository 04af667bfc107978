import { JWT_TYPE, sessionKey, userSessionsKey } from '@gatehouse/contracts';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disableUser } from '../src/domain/users.js';
import { createRedisContext } from '../src/redis/context.js';
import { type AuthHarness, startAuth } from './harness.js';

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuth();
});
afterAll(() => h.close());

describe('POST /auth/login', () => {
  it('creates the session with its TTL and index, publishes the event and returns a JWT the JWKS verifies', async () => {
    const user = await h.addUser({ roles: ['user', 'auditor'] });
    const res = await h.login(user.username.toUpperCase(), user.password, { userAgent: 'Mozilla/5.0 '.repeat(20) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ tokenType: 'Bearer', expiresIn: 3600 });
    expect(body.sessionId).toMatch(/^[A-Za-z0-9_-]{22,}$/);

    const key = sessionKey(body.sessionId);
    const ttl = await h.inspect.ttl(key);
    expect(ttl).toBeGreaterThan(3590);
    expect(ttl).toBeLessThanOrEqual(3600);
    const hash = await h.inspect.hgetall(key);
    expect(hash).toMatchObject({ sub: user.id, name: user.username, roles: 'user,auditor', ip: '127.0.0.1' });
    expect(Object.keys(hash).sort()).toEqual(['amr', 'at', 'exp', 'iat', 'ip', 'name', 'roles', 'sub', 'ua']);
    expect(hash).toMatchObject({ amr: 'pwd', at: hash.iat });
    expect(hash.ua).toMatch(/^[0-9a-f]{16}$/);
    expect(Number(hash.exp) - Number(hash.iat)).toBe(3600);
    expect(await h.inspect.object('ENCODING', key)).toBe('listpack');
    // The index is scored by the session's end.
    expect(await h.inspect.zscore(userSessionsKey(user.id), body.sessionId)).toBe(hash.exp);

    const event = (await h.events()).find((e) => e.sessionId === body.sessionId);
    expect(event).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      type: 'auth.login.succeeded',
      version: 1,
      occurredAt: expect.any(String),
      source: 'auth',
      subject: user.id,
      username: user.username,
      sessionId: body.sessionId,
      ip: '127.0.0.1',
      userAgent: 'Mozilla/5.0 '.repeat(20),
      reason: null,
      traceparent: null,
    });

    const jwks = (await h.app.inject('/.well-known/jwks.json')).json();
    const { payload, protectedHeader } = await jwtVerify(body.accessToken, createLocalJWKSet(jwks), {
      issuer: 'gatehouse',
      audience: 'gatehouse',
    });
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', typ: JWT_TYPE, kid: h.keys.kid });
    expect(payload).toMatchObject({ sub: user.id, sid: body.sessionId, roles: ['user', 'auditor'] });
    expect(payload.exp).toBe(Number(hash.exp));
    expect(Object.keys(payload).sort()).toEqual([
      'amr',
      'aud',
      'auth_time',
      'exp',
      'iat',
      'iss',
      'jti',
      'roles',
      'sid',
      'sub',
    ]);
    expect(payload).toMatchObject({ amr: ['pwd'], auth_time: Number(hash.iat) });
    expect(decodeProtectedHeader(body.accessToken).kid).toBe(jwks.keys[0].kid);
  });

  it('gives the same 401 body for a wrong password, an unknown user and a disabled account', async () => {
    const user = await h.addUser();
    const disabled = await h.addUser();
    await disableUser(
      { pool: h.pool, redis: createRedisContext(h.redis, { commandTimeoutMs: 1000 }) },
      disabled.username,
    );
    const wrong = await h.login(user.username, 'not-the-password', { ip: '10.0.0.1' });
    const unknown = await h.login('nobody_at_all', 'not-the-password', { ip: '10.0.0.1' });
    const off = await h.login(disabled.username, disabled.password, { ip: '10.0.0.1' });
    for (const res of [wrong, unknown, off]) expect(res.statusCode).toBe(401);
    expect(unknown.body).toBe(wrong.body);
    expect(off.body).toBe(wrong.body);
    expect(wrong.json().error).toBe('invalid_credentials');

    const failed = (await h.events()).filter((e) => e.type === 'auth.login.failed');
    expect(failed.find((e) => e.username === user.username)).toMatchObject({
      subject: user.id,
      reason: 'invalid_credentials',
    });
    expect(failed.find((e) => e.username === 'nobody_at_all')).toMatchObject({
      subject: null,
      reason: 'invalid_credentials',
    });
    expect(failed.find((e) => e.username === disabled.username)).toMatchObject({ reason: 'account_disabled' });
    for (const e of await h.events()) expect(JSON.stringify(e)).not.toContain('not-the-password');
  });
});
