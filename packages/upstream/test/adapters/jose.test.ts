import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { isKeySourceFailure } from '../../src/adapters/jose.js';

const signer = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
const stranger = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
// The endpoint publishes another key under the token's kid.
const strangerJwk = { ...(await exportJWK(stranger.publicKey)), kid: 'k1', alg: 'EdDSA' };
const token = await new SignJWT({})
  .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
  .setIssuer('gatehouse')
  .setExpirationTime('1h')
  .sign(signer.privateKey);

/** What jose throws when it verifies `token` against a JWKS endpoint served by `handler`. */
async function failureFrom(handler: RequestListener, options: { timeoutDuration?: number } = {}): Promise<unknown> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    await jwtVerify(token, createRemoteJWKSet(new URL(`http://127.0.0.1:${port}/jwks.json`), options));
    return undefined;
  } catch (err) {
    return err;
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

// jose throws its base JOSEError for a JWKS endpoint that fails, and a subclass for every token
// fault; an upgrade that changes either makes verify-jwt.ts answer 401 for an outage or 503 for a bad token.
describe("jose's error classes (the exact-constructor check of a key source failure)", () => {
  it('a JWKS endpoint answering 500, or not JSON, or too late, is a key source failure', async () => {
    const status500 = await failureFrom((_req, res) => res.writeHead(500).end());
    const notJson = await failureFrom((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>'));
    const late = await failureFrom((_req, res) => void setTimeout(() => res.end('{"keys":[]}'), 2000).unref(), {
      timeoutDuration: 50,
    });
    for (const err of [status500, notJson, late]) expect(isKeySourceFailure(err), String(err)).toBe(true);
  });

  it('a token the keys refuse is not', async () => {
    const wrongKey = await failureFrom((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [strangerJwk] })),
    );
    expect(wrongKey).toBeDefined();
    expect(isKeySourceFailure(wrongKey), String(wrongKey)).toBe(false);
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA' })
      .setExpirationTime(0)
      .sign(signer.privateKey);
    const claim = await jwtVerify(expired, signer.publicKey).catch((err: unknown) => err);
    expect(isKeySourceFailure(claim), String(claim)).toBe(false);
  });
});
