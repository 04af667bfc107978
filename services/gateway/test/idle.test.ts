import { SESSION_LAST_SEEN_FIELD, sessionKey } from '@gatehouse/contracts';
import { waitFor } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, type Stack, startStack } from '../../../test/support/stack.js';

// Auth and the gateway share the idle timeout: 2 s, so the stamp is rewritten at most once a second.
// The gateway runs as a process on the real clock, so instead of waiting the test moves the session's
// last use into the past: the write invalidates the gateway's cached copy before its next request.
let stack: Stack;
beforeAll(async () => {
  const idle = { SESSION_IDLE_TIMEOUT_SECONDS: '2' };
  stack = await startStack({ audit: false, authEnv: idle, gatewayEnv: idle });
});
afterAll(() => stack?.close());

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('idle timeout at the gateway', () => {
  it('keeps a session alive while it is used through the gateway, and refuses it once idle', async () => {
    const { token, sessionId } = await stack.token(await stack.addUser());
    const key = sessionKey(sessionId);
    const call = async (path = '/api/echo/x') =>
      (await fetch(`${stack.gateway.url}${path}`, { headers: bearer(token) })).status;
    const stamp = async () => Number(await stack.inspect.hget(key, SESSION_LAST_SEEN_FIELD));
    const lastUsed = (secondsAgo: number) =>
      stack.inspect.hset(key, SESSION_LAST_SEEN_FIELD, nowSeconds() - secondsAgo);
    expect(await call()).toBe(200);

    // Last used 1 s ago: past the rewrite interval, within the timeout. The gateway refreshes the stamp.
    await lastUsed(1);
    const before = nowSeconds();
    expect(await call()).toBe(200);
    await waitFor(async () => (await stamp()) >= before, 5000, 'the gateway to refresh the last-use stamp');
    // Auth reads the same stamp: the session is alive there too.
    expect(await call('/auth/session')).toBe(200);

    // Last used 3 s ago: idle at the gateway and at auth.
    await lastUsed(3);
    expect(await call()).toBe(401);
    expect(await call('/auth/session')).toBe(401);
  });
});
