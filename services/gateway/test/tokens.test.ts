import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { waitFor } from '@gatehouse/runtime/testing';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../../test/support/stack.js';

let stack: Stack;
let kid: string;
let user: { id: string; username: string; password: string };
let sid: string;
beforeAll(async () => {
  stack = await startStack({ audit: false });
  const jwks = (await (await fetch(`${stack.auth.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
  kid = jwks.keys[0]?.kid ?? '';
  user = await stack.addUser();
  ({ sessionId: sid } = await stack.token(user));
});
afterAll(() => stack?.close());

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

async function sign(
  overrides: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
  key?: ReturnType<typeof createPrivateKey>,
) {
  const privateKey = key ?? createPrivateKey(await readFile(stack.keyFile));
  const claims = { iss: 'gatehouse', aud: 'gatehouse', sub: user.id, sid, roles: ['user'], jti: 'j1', ...overrides };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid, ...header })
    .setIssuedAt()
    .setExpirationTime(typeof overrides.exp === 'number' ? overrides.exp : now() + 600)
    .sign(privateKey);
}

async function status(token: string | undefined, scheme = 'Bearer'): Promise<number> {
  const gateway = stack.gateway;
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `${scheme} ${token}` };
  const res = await fetch(`${gateway.url}/api/echo/t`, { headers });
  if (res.status === 401) {
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(await res.json()).toMatchObject({ error: 'invalid_token' });
  }
  return res.status;
}

describe('token checks', () => {
  it('accepts a well-formed token signed with the auth key (control)', async () => {
    expect(await status(await sign())).toBe(200);
  });

  it('refuses another audience or issuer', async () => {
    expect(await status(await sign({ aud: 'someone-else' }))).toBe(401);
    expect(await status(await sign({ iss: 'https://evil.example' }))).toBe(401);
  });

  it('refuses an expired token, also within a cached verification', async () => {
    expect(await status(await sign({ exp: now() - 120 }))).toBe(401);
    // 30 s of clock skew are tolerated: this one is accepted (and cached) for 3 s more, then refused.
    const shortLived = await sign({ exp: now() - 27 });
    expect(await status(shortLived)).toBe(200);
    await waitFor(async () => (await status(shortLived)) === 401, 10_000, 'the cached token to expire');
  });

  it('refuses alg none and a missing or wrong typ', async () => {
    const payload = { iss: 'gatehouse', aud: 'gatehouse', sub: user.id, sid, roles: [], iat: now(), exp: now() + 60 };
    expect(await status(`${b64({ alg: 'none', typ: 'at+jwt', kid })}.${b64(payload)}.`)).toBe(401);
    expect(await status(await sign({}, { typ: 'JWT' }))).toBe(401);
  });

  it('refuses HS256 signed with the public key as the secret', async () => {
    const publicPem = createPublicKey(createPrivateKey(await readFile(stack.keyFile))).export({
      format: 'pem',
      type: 'spki',
    });
    const payload = { iss: 'gatehouse', aud: 'gatehouse', sub: user.id, sid, roles: [], iat: now(), exp: now() + 60 };
    const input = `${b64({ alg: 'HS256', typ: 'at+jwt', kid })}.${b64(payload)}`;
    const mac = createHmac('sha256', publicPem).update(input).digest('base64url');
    expect(await status(`${input}.${mac}`)).toBe(401);
  });

  it('refuses an unknown kid and a key that is not the auth key', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    expect(await status(await sign({}, { kid: 'not-a-known-kid' }, privateKey))).toBe(401);
    expect(await status(await sign({}, {}, privateKey))).toBe(401);
  });

  it('refuses a token whose session belongs to someone else', async () => {
    const other = await stack.addUser();
    expect(await status(await sign({ sub: other.id }))).toBe(401);
    expect(await status(await sign({ sid: 'no-such-session' }))).toBe(401);
  });

  it('answers garbage with 401, never 500', async () => {
    for (const token of ['abc', 'a.b.c', '...', 'eyJ.eyJ.x', '%%%', 'x'.repeat(5000)]) {
      expect(await status(token)).toBe(401);
    }
    expect(await status(undefined)).toBe(401);
    expect(await status(await sign(), 'Basic')).toBe(401);
  });
});
