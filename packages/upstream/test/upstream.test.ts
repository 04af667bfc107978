import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ASSERTION_JWKS_PATH, IDENTITY_HEADERS } from '@gatehouse/contracts';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertionKey, createIdentityVerifier, gatehouseIdentity, signAssertion } from '../src/index.js';

const key = await assertionKey(generateKeyPairSync('ed25519'));
const who = { aud: '/api/orders', sub: 'u1', username: 'alice', sid: 's1', roles: ['user'], amr: ['pwd'] };
const header = (token: string) => ({ [IDENTITY_HEADERS.assertion]: token });

// A stand-in for the gateway's JWKS endpoint, over real HTTP.
const jwks = createServer((req, res) => {
  if (req.url !== ASSERTION_JWKS_PATH) return void res.writeHead(404).end();
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ keys: [key.jwk] }));
});
let jwksUrl: string;
beforeAll(async () => {
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}${ASSERTION_JWKS_PATH}`;
});
afterAll(() => new Promise<void>((resolve) => jwks.close(() => resolve())));

describe('createIdentityVerifier', () => {
  it('accepts an assertion for its audience from the JWKS, and refuses everything else with 401', async () => {
    const verify = createIdentityVerifier({ audience: '/api/orders', jwksUrl });
    expect(await verify({ headers: header(await signAssertion(key, who)) })).toMatchObject({
      userId: 'u1',
      username: 'alice',
      sessionId: 's1',
      roles: ['user'],
      amr: ['pwd'],
    });
    const other = await assertionKey(generateKeyPairSync('ed25519'));
    const now = Math.floor(Date.now() / 1000);
    const refused = [
      {},
      { 'x-user-id': 'u1', 'x-user-roles': 'admin' },
      header(await signAssertion(key, { ...who, aud: '/api/other' })),
      header(await signAssertion(other, who)),
      header(await signAssertion(key, who, now - 200)),
      header(await signAssertion(key, who, now + 200)),
      header('e30.e30.'),
    ];
    for (const headers of refused) {
      await expect(verify({ headers })).rejects.toMatchObject({ statusCode: 401, code: 'invalid_token' });
    }
  });

  it('answers 503 when the JWKS cannot be fetched', async () => {
    const verify = createIdentityVerifier({ audience: '/api/orders', jwksUrl: 'http://127.0.0.1:1/jwks.json' });
    await expect(verify({ headers: header(await signAssertion(key, who)) })).rejects.toMatchObject({
      statusCode: 503,
    });
  });
});

describe('gatehouseIdentity (Fastify)', () => {
  it('refuses every route without a valid assertion or the role, as JSON, and exposes the identity', async () => {
    const app = Fastify();
    await app.register(gatehouseIdentity, { audience: '/api/orders', jwksUrl, role: 'user' });
    app.get('/api/orders', async (request) => request.gatehouse);
    const ok = await app.inject({ url: '/api/orders', headers: header(await signAssertion(key, who)) });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ userId: 'u1', sessionId: 's1' });
    const none = await app.inject({ url: '/api/orders', headers: { 'x-user-id': 'u1' } });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ error: 'invalid_token' });
    const noRole = await app.inject({
      url: '/api/orders',
      headers: header(await signAssertion(key, { ...who, roles: ['guest'] })),
    });
    expect(noRole.statusCode).toBe(403);
    expect(noRole.json()).toMatchObject({ error: 'insufficient_role' });
    await app.close();
  });
});
