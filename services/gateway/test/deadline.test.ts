import type { ServiceProcess } from '@gatehouse/runtime/testing';
import { waitFor } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, type Stack, startStack } from './support/stack.js';

// One Redis deadline per request (REDIS_COMMAND_TIMEOUT_MS from its arrival) on every route:
// a stalled Redis answers 503 within it, never the sum of each step's own timeout. The goal is
// +100 ms (met on the dev machine: docs/performance.md); CI is a loaded 2-core machine, so the
// assert allows 250 ms, still far under what the old code took (twice the timeout: the rate
// limiter's auto-pipelined batch waited behind the stalled one; barrier then read in turn).
const TIMEOUT_MS = 500;
const ALLOWANCE_MS = 250;
const CONCURRENT = 50;

let stack: Stack;
let local: ServiceProcess;
let strict: ServiceProcess;
let token: string;
let credentials: { username: string; password: string };
beforeAll(async () => {
  const timeouts = { REDIS_COMMAND_TIMEOUT_MS: String(TIMEOUT_MS) };
  stack = await startStack({ gatewayEnv: timeouts, authEnv: timeouts });
  local = stack.gateways[0] as ServiceProcess;
  strict = await stack.startGateway({ RATE_LIMIT_MODE: 'strict' });
  const user = await stack.addUser();
  credentials = { username: user.username, password: user.password };
  ({ token } = await stack.login(user));
});
afterAll(() => stack?.close());

interface Route {
  name: string;
  path: string;
  init: () => RequestInit;
}
const routes: Route[] = [
  { name: 'proxied /api', path: '/api/echo/r', init: () => ({ headers: bearer(token) }) },
  { name: 'forward-auth /verify', path: '/verify', init: () => ({ headers: bearer(token) }) },
  { name: 'proxied /auth/session', path: '/auth/session', init: () => ({ headers: bearer(token) }) },
  {
    name: '/auth/login',
    path: '/auth/login',
    init: () => ({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(credentials),
    }),
  },
];

async function timed(url: string, init: RequestInit): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const res = await fetch(url, init);
  const ms = performance.now() - started;
  await res.arrayBuffer();
  return { status: res.status, ms };
}

async function tracking(gateway: ServiceProcess): Promise<boolean> {
  const res = await fetch(`${gateway.url}/readyz`);
  return JSON.stringify(await res.json()).includes('tracking');
}

describe('one Redis deadline per request', () => {
  for (const mode of ['local', 'strict'] as const) {
    it(`answers 503 within REDIS_COMMAND_TIMEOUT_MS on every route while Redis is stopped (rate limiter ${mode})`, async () => {
      const gateway = mode === 'local' ? local : strict;
      await waitFor(() => tracking(gateway), 10_000, 'session tracking');
      // Warm: the token verified and the session cached, so the read barrier is in the path too.
      // and as many keep-alive connections open as requests will be sent
      // (test → gateway, and gateway → auth through the JWKS route), so connection set-up is not timed.
      for (const route of [routes[0] as Route, { name: 'jwks', path: '/.well-known/jwks.json', init: () => ({}) }]) {
        const warm = await Promise.all(
          Array.from({ length: CONCURRENT }, () => timed(`${gateway.url}${route.path}`, route.init())),
        );
        expect(warm.map((r) => r.status)).toEqual(warm.map(() => 200));
      }
      for (const route of routes) expect((await timed(`${gateway.url}${route.path}`, route.init())).status).toBe(200);
      const slowest: Record<string, number> = {};
      stack.redis.pause();
      try {
        for (const route of routes) {
          const results = await Promise.all(
            Array.from({ length: CONCURRENT }, () => timed(`${gateway.url}${route.path}`, route.init())),
          );
          const statuses = new Set(results.map((r) => r.status));
          // A request may still pass from the cache in the lease's first moments; none may hang.
          expect(
            [...statuses].every((s) => s === 503 || s === 200),
            `${route.name}: ${[...statuses]}`,
          ).toBe(true);
          expect(statuses.has(503), route.name).toBe(true);
          slowest[route.name] = Math.round(Math.max(...results.map((r) => r.ms)));
        }
      } finally {
        stack.redis.resume();
      }
      console.log(
        `slowest of ${CONCURRENT} with Redis stopped (rate limiter ${mode}, timeout ${TIMEOUT_MS} ms)`,
        slowest,
      );
      for (const [name, ms] of Object.entries(slowest)) {
        // With the local limiter a login makes no Redis call at the gateway: auth's own deadline
        // answers it, after a second hop that 50 concurrent logins make slower on a loaded machine.
        const bound = mode === 'local' && name === '/auth/login' ? 2 * TIMEOUT_MS : TIMEOUT_MS + ALLOWANCE_MS;
        expect(ms, `${name}: slowest of ${CONCURRENT} took ${ms} ms`).toBeLessThanOrEqual(bound);
      }
      await waitFor(async () => (await timed(`${gateway.url}/api/echo/r`, routes[0]?.init() ?? {})).status === 200);
    });
  }
});
