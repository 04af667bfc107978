import { SESSION_LAST_SEEN_FIELD, sessionKey, touchIntervalSeconds } from '@gatehouse/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthHarness, bearer, startAuth } from './harness.js';

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuth({ SESSION_IDLE_TIMEOUT_SECONDS: '2' });
});
afterAll(() => h.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('idle timeout', () => {
  it('refreshes the last-use stamp at most once per interval and ends an idle session', async () => {
    const user = await h.addUser();
    const { accessToken, sessionId } = (await h.login(user.username, user.password)).json();
    const key = sessionKey(sessionId);
    const stamp = async () => Number(await h.inspect.hget(key, SESSION_LAST_SEEN_FIELD));
    const created = await stamp();
    expect(created).toBeGreaterThan(0);

    for (let i = 0; i < 3; i++)
      expect((await h.app.inject({ url: '/auth/session', headers: bearer(accessToken) })).statusCode).toBe(200);
    expect(await stamp()).toBe(created);

    await sleep(1600);
    expect((await h.app.inject({ url: '/auth/session', headers: bearer(accessToken) })).statusCode).toBe(200);
    expect(await stamp()).toBeGreaterThan(created);
    await sleep(1600);
    expect((await h.app.inject({ url: '/auth/session', headers: bearer(accessToken) })).statusCode).toBe(200);

    await sleep(3100);
    const res = await h.app.inject({ url: '/auth/session', headers: bearer(accessToken) });
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toBe('invalid_token');
  });

  it('writes at most once a minute however long the timeout', () => {
    expect(touchIntervalSeconds(3600)).toBe(60);
    expect(touchIntervalSeconds(2)).toBe(1);
  });
});
