import { SESSION_LAST_SEEN_FIELD, sessionKey, touchIntervalSeconds } from '@gatehouse/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthHarness, bearer, startAuth } from './harness.js';

// The app's clock stands still until the test moves it: no waiting on the real one.
let clockMs = Date.now();
let h: AuthHarness;
beforeAll(async () => {
  h = await startAuth({ SESSION_IDLE_TIMEOUT_SECONDS: '2' }, { now: () => clockMs });
});
afterAll(() => h.close());

describe('idle timeout', () => {
  it('refreshes the last-use stamp at most once per interval and ends an idle session', async () => {
    const user = await h.addUser();
    const { accessToken, sessionId } = (await h.login(user.username, user.password)).json();
    const key = sessionKey(sessionId);
    const stamp = async () => Number(await h.inspect.hget(key, SESSION_LAST_SEEN_FIELD));
    const session = async () => (await h.app.inject({ url: '/auth/session', headers: bearer(accessToken) })).statusCode;
    const created = await stamp();
    expect(created).toBe(Math.floor(clockMs / 1000));

    for (let i = 0; i < 3; i++) expect(await session()).toBe(200);
    expect(await stamp()).toBe(created);

    // Used every 1.6 s (the stamp is rewritten at most once a second): alive past the 2 s timeout.
    clockMs += 1600;
    expect(await session()).toBe(200);
    expect(await stamp()).toBe(Math.floor(clockMs / 1000));
    clockMs += 1600;
    expect(await session()).toBe(200);
    expect(await stamp()).toBe(Math.floor(clockMs / 1000));

    // Unused for more than 2 s: ended, and listed nowhere.
    clockMs += 3100;
    const res = await h.app.inject({ url: '/auth/session', headers: bearer(accessToken) });
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toBe('invalid_token');
  });

  it('leaves an idle session out of the session list', async () => {
    const user = await h.addUser();
    const idle = (await h.login(user.username, user.password)).json();
    clockMs += 3100;
    const fresh = (await h.login(user.username, user.password)).json();
    const res = await h.app.inject({ url: '/auth/sessions', headers: bearer(fresh.accessToken) });
    expect(res.statusCode).toBe(200);
    const ids = (res.json().sessions as { sessionId: string }[]).map((s) => s.sessionId);
    expect(ids).toContain(fresh.sessionId);
    expect(ids).not.toContain(idle.sessionId);
  });

  it('writes at most once a minute however long the timeout', () => {
    expect(touchIntervalSeconds(3600)).toBe(60);
    expect(touchIntervalSeconds(2)).toBe(1);
  });
});
