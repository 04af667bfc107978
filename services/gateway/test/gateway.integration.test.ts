import { request as httpRequest } from 'node:http';
import { SESSION_FIELD_NAMES, sessionKey } from '@gatehouse/contracts';
import { waitFor } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EchoedRequest } from '../../../test/support/echo-upstream.js';
import { bearer, type Stack, startStack } from '../../../test/support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    audit: false,
    gateways: 2,
    gatewayEnv: { UPSTREAM_TIMEOUT_MS: '1000', REDIS_COMMAND_TIMEOUT_MS: '500' },
  });
});
afterAll(() => stack?.close());

const gw = (i = 0) => (stack.gateways[i] as { url: string }).url;
const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers });
const post = (url: string, token: string) => fetch(url, { method: 'POST', headers: bearer(token) });

describe('gateway with the real auth service', () => {
  it('forwards a valid token with identity headers and drops client-sent ones', async () => {
    const user = await stack.addUser(['user', 'reader']);
    const { token, sessionId: sid } = await stack.token(user);
    const res = await get(`${gw()}/api/echo/orders?x=1`, {
      ...bearer(token),
      'x-user-id': 'evil',
      'x-username': 'root',
      'x-user-roles': 'auditor',
      'x-session-id': 'forged',
      'x-request-id': 'forged-id',
    });
    expect(res.status).toBe(200);
    const echoed = (await res.json()) as EchoedRequest;
    expect(echoed.url).toBe('/api/echo/orders?x=1');
    expect(echoed.headers['x-user-id']).toBe(user.id);
    expect(echoed.headers['x-username']).toBe(user.username);
    expect(echoed.headers['x-session-id']).toBe(sid);
    expect(echoed.headers['x-user-roles']).toBe('user,reader');
    expect(echoed.headers['x-request-id']).not.toBe('forged-id');
    expect(echoed.headers['x-request-id']).toBe(res.headers.get('x-request-id'));
    expect(echoed.headers.authorization).toBeUndefined();
  });

  it('strips client identity headers on /auth paths too', async () => {
    const user = await stack.addUser();
    const { token } = await stack.token(user);
    const res = await get(`${gw()}/auth/session`, { ...bearer(token), 'x-user-id': 'evil' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { userId: string }).userId).toBe(user.id);
  });

  it('refuses the very next request after logout', async () => {
    const user = await stack.addUser();
    const { token } = await stack.token(user);
    expect((await get(`${gw()}/api/echo/a`, bearer(token))).status).toBe(200);
    expect((await get(`${gw()}/api/echo/a`, bearer(token))).status).toBe(200);
    expect((await post(`${gw()}/auth/logout`, token)).status).toBe(200);
    const res = await get(`${gw()}/api/echo/a`, bearer(token));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(await res.json()).toMatchObject({ error: 'invalid_token' });
  });

  it('refuses every token of the user after logout-all', async () => {
    const user = await stack.addUser();
    const a = await stack.token(user);
    const b = await stack.token(user, stack.gateways[1]);
    for (const t of [a, b]) expect((await get(`${gw()}/verify`, bearer(t.token))).status).toBe(200);
    expect((await post(`${gw(1)}/auth/logout-all`, a.token)).status).toBe(200);
    for (const i of [0, 1]) {
      for (const t of [a, b]) expect((await get(`${gw(i)}/verify`, bearer(t.token))).status).toBe(401);
    }
  });

  it('refuses a session whose TTL ran out', async () => {
    const user = await stack.addUser();
    const { token, sessionId: sid } = await stack.token(user);
    expect((await get(`${gw()}/api/echo/a`, bearer(token))).status).toBe(200);
    await stack.inspect.pexpire(sessionKey(sid), 150);
    await waitFor(async () => (await stack.inspect.exists(sessionKey(sid))) === 0, 5000, 'the session to expire');
    expect((await get(`${gw()}/api/echo/a`, bearer(token))).status).toBe(401);
  });

  it('refuses a cached session past its expiresAt even while Redis still holds it', async () => {
    const user = await stack.addUser();
    const { token, sessionId: sid } = await stack.token(user);
    expect((await get(`${gw()}/verify`, bearer(token))).status).toBe(200);
    // Rewriting the hash sends an invalidation; the re-read sees expiresAt one second ahead.
    // Three seconds ahead: room for the two reads below on a loaded machine.
    const expiresAt = Math.floor(Date.now() / 1000) + 3;
    await stack.inspect.hset(sessionKey(sid), SESSION_FIELD_NAMES.expiresAt, String(expiresAt));
    expect((await get(`${gw()}/verify`, bearer(token))).status).toBe(200);
    expect((await get(`${gw()}/verify`, bearer(token))).status).toBe(200);
    await waitFor(async () => Date.now() >= expiresAt * 1000, 10_000, 'the clock to pass expiresAt');
    expect(await stack.inspect.exists(sessionKey(sid))).toBe(1);
    expect((await get(`${gw()}/verify`, bearer(token))).status).toBe(401);
  });

  it('serves sessions through Redis client tracking', async () => {
    for (const i of [0, 1]) {
      const ready = (await (await get(`${gw(i)}/readyz`)).json()) as { checks: { redis: { detail: unknown } } };
      expect(ready.checks.redis.detail).toEqual({ sessionCache: 'tracking' });
    }
  });

  it('refuses at the second gateway a logout made through the first', async () => {
    const user = await stack.addUser();
    const { token } = await stack.token(user);
    for (let i = 0; i < 3; i++) expect((await get(`${gw(1)}/api/echo/b`, bearer(token))).status).toBe(200);
    expect((await post(`${gw()}/auth/logout`, token)).status).toBe(200);
    expect((await get(`${gw(1)}/api/echo/b`, bearer(token))).status).toBe(401);
  });

  it('requires the auditor role for /audit', async () => {
    const user = await stack.addUser(['user']);
    const { token } = await stack.token(user);
    const res = await get(`${gw()}/audit/events`, bearer(token));
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'insufficient_role' });
    expect((await get(`${gw()}/audit/events`)).status).toBe(401);
  });

  it('answers a missing token with 401 and the bearer challenge', async () => {
    const res = await get(`${gw()}/api/echo/x`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse", error="invalid_token"');
  });

  it('answers 504 JSON for a slow upstream and 502 JSON for a missing one', async () => {
    const user = await stack.addUser();
    const { token } = await stack.token(user);
    const slow = await get(`${gw()}/api/echo/slow`, bearer(token));
    expect(slow.status).toBe(504);
    expect(await slow.json()).toMatchObject({ error: 'upstream_timeout' });
    const gone = await get(`${gw()}/api/gone/x`, bearer(token));
    expect(gone.status).toBe(502);
    expect(await gone.json()).toMatchObject({ error: 'upstream_unavailable' });
  });

  it('streams request bodies to the upstream and limits their size', async () => {
    const user = await stack.addUser();
    const { token } = await stack.token(user);
    const body = 'x'.repeat(200_000);
    const res = await fetch(`${gw()}/api/echo/upload`, {
      method: 'PUT',
      headers: { ...bearer(token), 'content-type': 'application/octet-stream' },
      body,
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as EchoedRequest).body.length).toBe(body.length);
    expect(await putStatus(`${gw()}/api/echo/upload`, token, 2 * 1024 * 1024)).toBe(413);
  });
});

/**
 * Declares a `size`-byte PUT and resolves with the status. The gateway refuses
 * an oversized declared length from the headers alone, before any body is
 * read; the body is written only if no answer came first (writing it while
 * the server closes could end in EPIPE and lose the answer).
 */
function putStatus(url: string, token: string, size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: 'PUT',
      headers: { ...bearer(token), 'content-type': 'application/octet-stream', 'content-length': size },
    });
    const writeBody = setTimeout(() => req.end(Buffer.alloc(size, 'x')), 2000);
    req.on('response', (res) => {
      clearTimeout(writeBody);
      res.resume();
      req.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}
