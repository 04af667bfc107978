import type { ServiceProcess } from '@gatehouse/runtime/testing';
import { waitFor } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, type Stack, startStack } from '../../../test/support/stack.js';

// One Redis deadline per request (REDIS_COMMAND_TIMEOUT_MS from its arrival) on every route:
// a stalled Redis answers 503 within it, never the sum of each step's own timeout (the old code
// took twice the timeout: the rate limiter's auto-pipelined batch waited behind the stalled one;
// a per-request read barrier and the session read each waited in turn). The time is the gateway's own, from
// its request-duration histogram: the client's clock also counts waiting to be scheduled. The
// goal is the timeout + 100 ms (met on the dev machine, docs/performance.md); on a loaded 2-core
// machine the event loop itself lags by more (over 500 ms at a load average of 30), so the test
// uses a 3 s timeout and the 5 s bucket: 2 s of lag allowed, still under the old code's 6 s.
const TIMEOUT_MS = 3000;
const BUCKET = '5';
const CONCURRENT = 50;

let stack: Stack;
let local: ServiceProcess;
let strict: ServiceProcess;
let token: string;
let credentials: { username: string; password: string };
beforeAll(async () => {
  const timeouts = { REDIS_COMMAND_TIMEOUT_MS: String(TIMEOUT_MS) };
  // Every 503 is logged as an error with its stack: fifty at once, written to the test's pipe on
  // a loaded machine, lag the gateway's event loop past the allowance. The deadline is measured here.
  stack = await startStack({ audit: false, gatewayEnv: { ...timeouts, LOG_LEVEL: 'fatal' }, authEnv: timeouts });
  local = stack.gateway;
  strict = await stack.startGateway({ RATE_LIMIT_MODE: 'strict' });
  const user = await stack.addUser();
  credentials = { username: user.username, password: user.password };
  ({ token } = await stack.token(user));
}, 120_000);
afterAll(() => stack?.close());

interface Route {
  /** The route pattern the gateway's histogram names it by. */
  pattern: string;
  path: string;
  init: () => RequestInit;
}
const routes: Route[] = [
  { pattern: '/verify', path: '/verify', init: () => ({ headers: bearer(token) }) },
  { pattern: '/api/echo/*', path: '/api/echo/r', init: () => ({ headers: bearer(token) }) },
  { pattern: '/auth/*', path: '/auth/session', init: () => ({ headers: bearer(token) }) },
  {
    pattern: '/auth/login',
    path: '/auth/login',
    init: () => ({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(credentials),
    }),
  },
];

async function send(gateway: ServiceProcess, route: Route): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${gateway.url}${route.path}`, route.init());
  const ms = performance.now() - started;
  await res.arrayBuffer();
  return { status: res.status, ms };
}

/** The gateway's count of 503s for a route pattern: all of them, and those within `le` seconds. */
async function unavailable(gateway: ServiceProcess, pattern: string): Promise<{ all: number; within: number }> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  let all = 0;
  let within = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('gatehouse_http_request_duration_seconds_bucket{')) continue;
    if (!line.includes(`route="${pattern}"`) || !line.includes('status_code="503"')) continue;
    const count = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.includes('le="+Inf"')) all += count;
    if (line.includes(`le="${BUCKET}"`)) within += count;
  }
  return { all, within };
}

async function tracking(gateway: ServiceProcess): Promise<boolean> {
  const res = await fetch(`${gateway.url}/readyz`);
  return JSON.stringify(await res.json()).includes('tracking');
}

describe('one Redis deadline per request', () => {
  for (const mode of ['local', 'strict'] as const) {
    it(`answers 503 within one REDIS_COMMAND_TIMEOUT_MS, not two in turn, on every route while Redis is stopped (rate limiter ${mode})`, async () => {
      const gateway = mode === 'local' ? local : strict;
      await waitFor(() => tracking(gateway), 10_000, 'session tracking');
      // Warm: the token verified and the session cached (so the lease's cut-over is in the path too).
      for (const route of routes) {
        await waitFor(async () => (await send(gateway, route)).status === 200, 10_000, `${route.path} warm`);
      }
      const before = await Promise.all(routes.map((r) => unavailable(gateway, r.pattern)));
      const slowest: Record<string, number> = {};
      stack.redis.pause();
      try {
        // Cached sessions are served without Redis until the lease lapses (SESSION_CACHE_LEASE_MS after
        // the last answered heartbeat); the deadline is what answers after that.
        await waitFor(
          async () => (await send(gateway, routes[0] as Route)).status !== 200,
          10_000,
          'the lease to lapse',
        );
        for (const route of routes) {
          const results = await Promise.all(Array.from({ length: CONCURRENT }, () => send(gateway, route)));
          const statuses = new Set(results.map((r) => r.status));
          // A request may still pass from the cache in the lease's first moments; none is let through unchecked.
          // (With the local limiter a login reaches auth, which answers by its own deadline: 503, or
          // 504 from the gateway if auth is too slow to answer at all.)
          expect(
            [...statuses].every((s) => s === 503 || s === 200 || (s === 504 && route.pattern === '/auth/login')),
            `${route.path}: ${[...statuses]}`,
          ).toBe(true);
          slowest[route.path] = Math.round(Math.max(...results.map((r) => r.ms)));
        }
      } finally {
        stack.redis.resume();
      }
      console.log(`slowest of ${CONCURRENT}, client side (rate limiter ${mode}, timeout ${TIMEOUT_MS} ms)`, slowest);
      for (const [i, route] of routes.entries()) {
        // A local-mode login makes no Redis call at the gateway: auth's own deadline answers it.
        if (mode === 'local' && route.pattern === '/auth/login') continue;
        const after = await unavailable(gateway, route.pattern);
        const answered = after.all - (before[i]?.all ?? 0);
        expect(answered, `${route.path}: 503s`).toBeGreaterThan(0);
        expect(after.within - (before[i]?.within ?? 0), `${route.path}: 503s within ${BUCKET} s`).toBe(answered);
      }
      await waitFor(async () => (await send(gateway, routes[0] as Route)).status === 200, 10_000, 'recovery');
    }, 60_000);
  }
});
