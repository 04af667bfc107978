import { waitFor } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, type Stack, startStack } from '../../../test/support/stack.js';

let stack: Stack;
let token: string;
let other: string;
beforeAll(async () => {
  // Rate limiting off here so the session check itself is what meets the outage (it is checked separately below).
  stack = await startStack({ audit: false, gatewayEnv: { RATE_LIMIT_MAX: '0', REDIS_COMMAND_TIMEOUT_MS: '500' } });
  ({ token } = await stack.token(await stack.addUser()));
  ({ token: other } = await stack.token(await stack.addUser()));
});
afterAll(() => stack?.close());

const url = () => `${stack.gateway.url}/api/echo/r`;

async function timed(t: string): Promise<{ status: number; ms: number; body: unknown }> {
  const started = performance.now();
  const res = await fetch(url(), { headers: bearer(t) });
  return { status: res.status, ms: performance.now() - started, body: await res.json() };
}

async function warm(): Promise<void> {
  for (const t of [token, other]) expect((await timed(t)).status).toBe(200);
}

describe('fail closed when Redis is away', () => {
  it('answers 503 while Redis is stopped and 200 again after it restarts, same process', async () => {
    await warm();
    const pid = stack.gateways[0]?.child.pid;
    await stack.redis.kill();
    try {
      // The gateway learns of the crash when the connection's close reaches it; until then no revocation can happen either.
      const killed = performance.now();
      await waitFor(async () => (await timed(token)).status === 503, 1000, 'a 503 after the kill');
      expect(performance.now() - killed).toBeLessThan(1000);
      for (const t of [token, other]) {
        const res = await timed(t);
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject({ error: 'dependency_unavailable' });
        expect(res.ms).toBeLessThan(1200);
      }
    } finally {
      await stack.redis.start();
    }
    // A restarted Redis lost its data: the sessions are gone, so the same token is now refused, not let through.
    await waitFor(async () => (await timed(token)).status === 401, 10_000, 'gateway to reconnect');
    const fresh = await stack.token(await stack.addUser());
    expect((await timed(fresh.token)).status).toBe(200);
    expect(stack.gateways[0]?.child.pid).toBe(pid);
    token = fresh.token;
    ({ token: other } = await stack.token(await stack.addUser()));
  });

  it('answers 503 within about a second of a SIGSTOP, cached sessions included, and 200 after SIGCONT', async () => {
    await warm();
    const readyz = url().replace('/api/echo/r', '/readyz');
    const detail = async () => JSON.stringify(((await (await fetch(readyz)).json()) as { checks: unknown }).checks);
    await waitFor(async () => (await detail()).includes('tracking'), 10_000, 'session tracking');
    stack.redis.pause();
    const paused = performance.now();
    const seen: { at: number; status: number; ms: number }[] = [];
    try {
      while (performance.now() - paused < 2000 && !seen.some((s) => s.status === 503)) {
        const at = performance.now() - paused;
        const { status, ms } = await timed(token);
        seen.push({ at, status, ms });
      }
      for (const t of [other, token]) {
        const res = await timed(t);
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject({ error: 'dependency_unavailable' });
        expect(res.ms).toBeLessThan(1200);
      }
    } finally {
      stack.redis.resume();
    }
    const first503 = seen.find((s) => s.status === 503);
    expect(first503).toBeDefined();
    expect(first503?.at ?? Infinity).toBeLessThan(1000);
    // Served from the cache only while the lease (300 ms after the last answered PING) held.
    for (const s of seen.filter((x) => x.status === 200)) expect(s.at).toBeLessThan(450);
    await waitFor(async () => (await timed(token)).status === 200, 10_000, 'gateway to recover');
    expect((await timed(other)).status).toBe(200);
  });

  it('fails closed in the strict rate limiter too: 503, not 500, when Redis is stopped', async () => {
    const limited = await stack.startGateway({ RATE_LIMIT_MAX: '1000', RATE_LIMIT_MODE: 'strict' });
    expect((await fetch(`${limited.url}/api/echo/r`, { headers: bearer(token) })).status).toBe(200);
    await stack.redis.kill();
    try {
      const res = await fetch(`${limited.url}/auth/login`, { method: 'POST', body: '{}' });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: 'dependency_unavailable' });
    } finally {
      await stack.redis.start();
    }
  });
});
