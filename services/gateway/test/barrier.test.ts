import { proxyFor, type ServiceProcess } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, type Stack, startStack } from '../../../test/support/stack.js';

// Gateway B reads Redis through a link that delivers replies, and so the
// invalidation pushes, 40 ms late. A cached session there must still be refused
// on the very next request after a logout made elsewhere: the read barrier waits
// for a PING's answer, which comes after every push sent before it.
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

describe('read barrier', () => {
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
});
