import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthHarness, startAuth } from './harness.js';

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuth();
});
afterAll(() => h.close());

function post(payload: string, contentType = 'application/json') {
  return h.app.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': contentType }, payload });
}

describe('login input validation', () => {
  it.each([
    ['malformed JSON', '{"username": "a", "password":', 'invalid_json', ''],
    ['an empty body', '', 'invalid_json', ''],
    ['a missing password', '{"username":"alice"}', 'validation_failed', 'password'],
    ['a missing username', '{"password":"secret-pw"}', 'validation_failed', 'username'],
    ['a number for the username', '{"username":42,"password":"secret-pw"}', 'validation_failed', 'username'],
    ['an empty username', '{"username":"","password":"secret-pw"}', 'validation_failed', 'username'],
    ['an extra property', '{"username":"a","password":"b","admin":true}', 'validation_failed', ''],
    ['an array body', '[1,2]', 'validation_failed', ''],
  ])('answers %s with a JSON 400 naming the problem', async (_name, payload, code, field) => {
    const res = await post(payload);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/json');
    expect(res.json()).toEqual({ error: code, message: expect.stringContaining(field) });
  });

  it('answers a 2 MB body with 413 JSON', async () => {
    const res = await post(JSON.stringify({ username: 'alice', password: 'x'.repeat(2 * 1024 * 1024) }));
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toBe('payload_too_large');
  });

  it('answers another content type with 415 JSON', async () => {
    const res = await post('username=alice&password=x', 'application/x-www-form-urlencoded');
    expect(res.statusCode).toBe(415);
    expect(res.json().error).toBe('unsupported_media_type');
  });

  it('serves the OpenAPI document and health endpoints', async () => {
    const doc = (await h.app.inject('/docs/json')).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/auth/login', '/auth/logout', '/auth/logout-all', '/auth/session', '/auth/sessions']),
    );
    expect((await h.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await h.app.inject('/readyz')).json()).toMatchObject({
      status: 'ok',
      checks: { redis: { ok: true }, postgres: { ok: true } },
    });
  });
});
