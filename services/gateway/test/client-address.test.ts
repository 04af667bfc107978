import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_BEHIND_GATEWAY_ENV } from '../../../scripts/stack/services.js';
import { type Stack, startStack } from '../../../test/support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ audit: false, authEnv: { ...AUTH_BEHIND_GATEWAY_ENV, LOGIN_MAX_ATTEMPTS_PER_IP: '3' } });
});
afterAll(() => stack?.close());

/** `POST /auth/login` through the gateway from the client address `from` (the socket is bound to it). */
function loginFrom(
  from: string,
  username: string,
  headers: Record<string, string> = {},
  origin = stack.gateway.url,
): Promise<number> {
  const url = new URL('/auth/login', origin);
  const body = JSON.stringify({ username, password: 'wrong-password' });
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', localAddress: from, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('the client address behind the gateway (auth TRUST_PROXY as npm start sets it)', () => {
  it('limits and records a login from 127.0.0.5 as 127.0.0.5, whatever X-Forwarded-For the client sends', async () => {
    for (let i = 1; i <= 3; i++) {
      const status = await loginFrom('127.0.0.5', `nobody_${i}`, { 'x-forwarded-for': `198.51.100.${i}` });
      expect(status).toBe(401);
    }
    expect(await loginFrom('127.0.0.5', 'nobody_4', { 'x-forwarded-for': '198.51.100.9, 127.0.0.1' })).toBe(429);
    expect(await loginFrom('127.0.0.6', 'nobody_5')).toBe(401);
    const direct = { 'x-forwarded-for': '203.0.113.50' };
    expect(await loginFrom('127.0.0.7', 'nobody_6', direct, stack.auth.url)).toBe(401);

    const entries = await stack.inspect.xrange('auth-events', '-', '+');
    const events = entries.map(([, fields]) => JSON.parse(fields[1] ?? '{}') as { type: string; ip: string });
    expect(events.map((e) => [e.type, e.ip])).toEqual([
      ['auth.login.failed', '127.0.0.5'],
      ['auth.login.failed', '127.0.0.5'],
      ['auth.login.failed', '127.0.0.5'],
      ['auth.login.rate_limited', '127.0.0.5'],
      ['auth.login.failed', '127.0.0.6'],
      ['auth.login.failed', '127.0.0.7'],
    ]);
  });
});
