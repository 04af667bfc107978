import { proxyFor, type ServiceProcess } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, type Stack, startStack } from '../../../test/support/stack.js';

// Gateway B reads Redis through a link that delivers replies, and so the
// invalidation pushes, 40 ms late. A cached session there must still be refused
// on the very next request after a logout made elsewhere: auth answers the
// logout only once B has echoed the revocation barrier, which reaches B after
// the invalidation (services/auth/src/redis/revocation-barrier.ts).
let stack: Stack;
let link: Awaited<ReturnType<typeof proxyFor>>;
let slow: ServiceProcess;
beforeAll(async () => {
  stack = await startStack({ audit: false });
  link = await proxyFor(stack.redis.url, { replyDelayMs: 40 });
  slow = await stack.startGateway({ REDIS_URL: link.url, REDIS_COMMAND_TIMEOUT_MS: '2000' });
});
afterAll(async () => {
  await stack?.close();
  await link?.close();
});

describe('revocation barrier', () => {
  it('refuses the very next request at a gateway whose invalidations arrive late', async () => {
    const verify = async (token: string) => (await fetch(`${slow.url}/verify`, { headers: bearer(token) })).status;
    const user = await stack.addUser();
    for (let i = 0; i < 5; i++) {
      const { token } = await stack.token(user);
      expect(await verify(token)).toBe(200);
      expect(await verify(token)).toBe(200); // now a cache hit at the slow gateway
      const logout = await fetch(`${stack.gateway.url}/auth/logout`, { method: 'POST', headers: bearer(token) });
      expect(logout.status).toBe(200);
      expect(await verify(token)).toBe(401);
    }
  });

  it('waits out the lease of a gateway that has stalled, which then no longer serves its cache', async () => {
    const verify = async (token: string) => (await fetch(`${slow.url}/verify`, { headers: bearer(token) })).status;
    const user = await stack.addUser();
    const { token } = await stack.token(user);
    expect(await verify(token)).toBe(200);
    expect(await verify(token)).toBe(200);
    // From now on nothing from Redis reaches B for 10 s: no invalidation, no barrier, no heartbeat.
    link.setReplyDelay(10_000);
    const started = performance.now();
    const logout = await fetch(`${stack.gateway.url}/auth/logout`, { method: 'POST', headers: bearer(token) });
    expect(logout.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(300); // SESSION_CACHE_LEASE_MS
    // B's lease has lapsed with its last answered heartbeat: it reads Redis, which does not answer in time.
    expect(await verify(token)).not.toBe(200);
  });
});
