import { loginAttemptsIpKey, loginAttemptsKey, loginFailuresKey } from '@gatehouse/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthHarness, startAuth } from './harness.js';

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuth({ LOGIN_MAX_ATTEMPTS_PER_IP: '8', LOGIN_MAX_FAILURES: '3', LOGIN_FAILURE_WINDOW_SECONDS: '600' });
});
afterAll(() => h.close());

describe('login rate limiting', () => {
  it('refuses the 6th attempt in the window with 429, Retry-After and an event, without checking the password', async () => {
    const user = await h.addUser();
    for (let i = 0; i < 5; i++) {
      const ok = await h.login(user.username, user.password, { ip: '10.1.0.1' });
      expect(ok.statusCode).toBe(200);
    }
    const res = await h.login(user.username, user.password, { ip: '10.1.0.1' });
    expect(res.statusCode).toBe(429);
    expect(res.json().error).toBe('too_many_attempts');
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);

    const counter = loginAttemptsKey(user.username);
    expect(await h.inspect.get(counter)).toBe('6');
    const ttl = await h.inspect.ttl(counter);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
    expect(await h.inspect.ttl(loginAttemptsIpKey('10.1.0.1'))).toBeGreaterThan(0);

    const events = (await h.events()).filter((e) => e.username === user.username);
    expect(events.filter((e) => e.type === 'auth.login.succeeded')).toHaveLength(5);
    expect(events.at(-1)).toMatchObject({
      type: 'auth.login.rate_limited',
      reason: 'too_many_attempts_account',
      ip: '10.1.0.1',
    });
  });

  it('counts attempts case-insensitively per account', async () => {
    const user = await h.addUser();
    const spellings = [user.username, user.username.toUpperCase()];
    for (let i = 0; i < 5; i++) await h.login(spellings[i % 2] as string, 'wrong-password', { ip: `10.2.0.${i}` });
    const res = await h.login(user.username.toUpperCase(), user.password, { ip: '10.2.0.9' });
    expect(res.statusCode).toBe(429);
  });

  it('limits attempts per client address across accounts', async () => {
    const ip = '10.3.0.1';
    for (let i = 0; i < 8; i++) expect((await h.login(`nobody_${i}`, 'whatever-pw', { ip })).statusCode).toBe(401);
    const res = await h.login('nobody_9', 'whatever-pw', { ip });
    expect(res.statusCode).toBe(429);
    const event = (await h.events()).at(-1);
    expect(event).toMatchObject({ type: 'auth.login.rate_limited', reason: 'too_many_attempts_ip', ip });
    expect((await h.login('nobody_9', 'whatever-pw', { ip: '10.3.0.2' })).statusCode).toBe(401);
  });

  it('locks an account after too many failures in the long window, with its own TTL', async () => {
    const user = await h.addUser();
    for (let i = 0; i < 3; i++) await h.login(user.username, 'wrong-password', { ip: `10.4.0.${i}` });
    const failures = loginFailuresKey(user.username);
    expect(await h.inspect.get(failures)).toBe('3');
    const ttl = await h.inspect.ttl(failures);
    expect(ttl).toBeGreaterThan(60);
    expect(ttl).toBeLessThanOrEqual(600);
    const res = await h.login(user.username, user.password, { ip: '10.4.0.9' });
    expect(res.statusCode).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(60);
    expect((await h.events()).at(-1)).toMatchObject({ reason: 'too_many_failures_account', username: user.username });
  });
});
