import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { ASSERTION_JWKS_PATH, IDENTITY_HEADERS } from '@gatehouse/contracts';
import { createIdentityVerifier } from '@gatehouse/upstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EchoedRequest } from '../../../test/support/echo-upstream.js';
import { bearer, type Stack, startStack } from '../../../test/support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ audit: false });
});
afterAll(() => stack?.close());

const gw = () => stack.gateway.url;

/** A GET through the gateway with any headers (fetch refuses hop-by-hop ones); resolves with what the upstream saw. */
function echo(path: string, headers: Record<string, string>): Promise<EchoedRequest> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${gw()}${path}`, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        if (res.statusCode !== 200) reject(new Error(`${res.statusCode} ${body}`));
        else resolve(JSON.parse(body) as EchoedRequest);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the identity assertion', () => {
  it('is forwarded beside the plain headers, verifies against the gateway JWKS for its route only, and is reused', async () => {
    const user = await stack.addUser(['user', 'reader']);
    const { token, sessionId: sid } = await stack.token(user);
    const jwksUrl = `${gw()}${ASSERTION_JWKS_PATH}`;
    const jwks = await fetch(jwksUrl);
    expect(jwks.status).toBe(200);
    expect(((await jwks.json()) as { keys: Array<{ alg: string }> }).keys[0]?.alg).toBe('EdDSA');

    const first = await echo('/api/echo/a', { ...bearer(token), [IDENTITY_HEADERS.assertion]: 'forged' });
    const second = await echo('/api/echo/b', bearer(token));
    const assertion = first.headers[IDENTITY_HEADERS.assertion] as string;
    expect(assertion).not.toBe('forged');
    expect(second.headers[IDENTITY_HEADERS.assertion]).toBe(assertion);

    const verify = createIdentityVerifier({ audience: '/api/echo', jwksUrl });
    const identity = await verify({ headers: first.headers });
    expect(identity).toMatchObject({
      userId: user.id,
      username: user.username,
      sessionId: sid,
      roles: ['user', 'reader'],
    });
    expect(identity.expiresAt - Date.now()).toBeLessThanOrEqual(60_000);
    const otherRoute = createIdentityVerifier({ audience: '/api/gone', jwksUrl });
    await expect(otherRoute({ headers: first.headers })).rejects.toMatchObject({ code: 'invalid_token' });
  });
});

describe('headers an upstream never sees (issue 13, item 7)', () => {
  const client = {
    forwarded: 'for=198.51.100.9;host=evil.example',
    'x-real-ip': '198.51.100.9',
    'x-forwarded-for': '198.51.100.9',
    'x-forwarded-host': 'evil.example',
    'x-forwarded-proto': 'gopher',
    'x-forwarded-prefix': '/admin',
    x_user_id: 'evil',
    x_user_roles: 'auditor',
    'x-custom_thing': 'underscore',
    'keep-alive': 'timeout=5',
    'proxy-connection': 'keep-alive',
    'proxy-authorization': 'Basic ZXZpbDpldmls',
    te: 'trailers',
    upgrade: 'h2c',
    connection: 'keep-alive, x-hop-listed',
    'x-hop-listed': 'listed in Connection',
    'x-kept': 'kept',
  };

  let seen: IncomingHttpHeaders;
  beforeAll(async () => {
    const user = await stack.addUser();
    const { token } = await stack.token(user);
    seen = (await echo('/api/echo/headers', { ...bearer(token), ...client })).headers;
  });

  it.each([
    'forwarded',
    'x-real-ip',
    'x-forwarded-host',
    'x-forwarded-prefix',
    'x_user_id',
    'x_user_roles',
    'x-custom_thing',
    'keep-alive',
    'proxy-connection',
    'proxy-authorization',
    'te',
    'upgrade',
    'x-hop-listed',
  ])('drops %s', (name) => {
    expect(seen[name]).toBeUndefined();
  });

  it("replaces the client's X-Forwarded-For and -Proto with the gateway's own, and keeps ordinary headers", () => {
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-kept']).toBe('kept');
    expect(Object.keys(seen).filter((name) => name.includes('_'))).toEqual([]);
  });
});

describe('Cache-Control: no-store on every answer that carries a token or session (issue 13, item 10)', () => {
  it('marks login, session, sessions, logout and forward-auth answers no-store, and lets the JWKS be cached', async () => {
    const user = await stack.addUser();
    const login = await fetch(`${gw()}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: user.username, password: user.password }),
    });
    expect(login.status).toBe(200);
    expect(login.headers.get('cache-control')).toBe('no-store');
    const { accessToken } = (await login.json()) as { accessToken: string };
    const failed = await fetch(`${gw()}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: user.username, password: 'wrong-password' }),
    });
    expect(failed.headers.get('cache-control')).toBe('no-store');
    for (const path of ['/auth/session', '/auth/sessions', '/verify', '/api/echo/x']) {
      const res = await fetch(`${gw()}${path}`, { headers: bearer(accessToken) });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('cache-control'), path).toBe('no-store');
    }
    const logout = await fetch(`${gw()}/auth/logout`, { method: 'POST', headers: bearer(accessToken) });
    expect(logout.headers.get('cache-control')).toBe('no-store');
    const jwks = await fetch(`${gw()}${ASSERTION_JWKS_PATH}`);
    expect(jwks.headers.get('cache-control')).toBe('public, max-age=300');
  });
});
