import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthHarness, bearer, startAuth } from './harness.js';

let h: AuthHarness;
let good: { accessToken: string; sessionId: string };
let userId: string;
beforeAll(async () => {
  h = await startAuth();
  const user = await h.addUser();
  userId = user.id;
  good = (await h.login(user.username, user.password)).json();
});
afterAll(() => h.close());

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function claims(overrides: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: 'gatehouse',
    aud: 'gatehouse',
    sub: userId,
    sid: good.sessionId,
    roles: ['user'],
    iat: now,
    exp: now + 600,
    jti: 'x',
    ...overrides,
  };
}

async function sign(payload: Record<string, unknown>, header: Record<string, unknown> = {}, key = h.keys.signingKey) {
  return await new SignJWT(payload)
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: h.keys.kid, ...header })
    .sign(key);
}

async function sessionStatus(token: string) {
  const res = await h.app.inject({ url: '/auth/session', headers: bearer(token) });
  if (res.statusCode === 401) expect(res.json().error).toBe('invalid_token');
  return res.statusCode;
}

describe('bearer token checks', () => {
  it('accepts the genuine token and one signed by the same key with the same claims', async () => {
    expect(await sessionStatus(good.accessToken)).toBe(200);
    expect(await sessionStatus(await sign(claims()))).toBe(200);
  });

  it('refuses a token signed by another key, even with the right kid', async () => {
    const other = generateKeyPairSync('ed25519').privateKey;
    expect(await sessionStatus(await sign(claims(), {}, other))).toBe(401);
  });

  it('refuses alg none', async () => {
    const [, payload] = good.accessToken.split('.');
    expect(await sessionStatus(`${b64({ alg: 'none', typ: 'at+jwt' })}.${payload}.`)).toBe(401);
    expect(await sessionStatus(`${b64({ alg: 'none', typ: 'at+jwt', kid: h.keys.kid })}.${payload}.sig`)).toBe(401);
  });

  it('refuses a changed payload', async () => {
    const [header, payload, signature] = good.accessToken.split('.');
    const decoded = JSON.parse(Buffer.from(payload as string, 'base64url').toString());
    const tampered = b64({ ...decoded, roles: ['admin'] });
    expect(await sessionStatus(`${header}.${tampered}.${signature}`)).toBe(401);
  });

  it('refuses an expired token (beyond the clock tolerance)', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await sessionStatus(await sign(claims({ iat: now - 600, exp: now - 60 })))).toBe(401);
  });

  it('refuses the wrong typ, issuer, audience, or a sid that belongs to another user', async () => {
    expect(await sessionStatus(await sign(claims(), { typ: 'JWT' }))).toBe(401);
    expect(await sessionStatus(await sign(claims({ iss: 'elsewhere' })))).toBe(401);
    expect(await sessionStatus(await sign(claims({ aud: 'other-app' })))).toBe(401);
    expect(await sessionStatus(await sign(claims({ sub: '00000000-0000-4000-8000-000000000000' })))).toBe(401);
  });
});
