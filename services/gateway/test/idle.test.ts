import { SESSION_LAST_SEEN_FIELD, sessionKey } from '@gatehouse/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, type Stack, startStack } from './support/stack.js';

// Auth and the gateway share the idle timeout: 2 s, so the stamp is rewritten at most once a second.
let stack: Stack;
beforeAll(async () => {
  const idle = { SESSION_IDLE_TIMEOUT_SECONDS: '2' };
  stack = await startStack({ authEnv: idle, gatewayEnv: idle });
});
afterAll(() => stack?.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('idle timeout at the gateway', () => {
  it('keeps a session alive while it is used through the gateway, and refuses it once idle', async () => {
    const gateway = (stack.gateways[0] as { url: string }).url;
    const user = await stack.addUser();
    const { token, sid } = await stack.login(user);
    const call = async () => (await fetch(`${gateway}/api/echo/x`, { headers: bearer(token) })).status;
    const stamp = async () => Number(await stack.inspect.hget(sessionKey(sid), SESSION_LAST_SEEN_FIELD));
    const created = await stamp();

    // Used every 1.1 s for 4.4 s: past the 2 s timeout, kept alive only by the gateway's refreshes.
    for (let i = 0; i < 4; i++) {
      await sleep(1100);
      expect(await call()).toBe(200);
    }
    expect(await stamp()).toBeGreaterThan(created);
    // Auth sees the same stamp: the session is alive there too.
    expect((await fetch(`${gateway}/auth/session`, { headers: bearer(token) })).status).toBe(200);

    await sleep(3100);
    expect(await call()).toBe(401);
  });
});
