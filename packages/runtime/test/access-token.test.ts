import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GatehouseError, JWT_TYPE } from '@gatehouse/contracts';
import { createRemoteJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  bearerChallenge,
  bearerToken,
  insufficientUserAuthentication,
  verifyAccessToken,
} from '../src/access-token.js';

const signer = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
const stranger = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
const token = await new SignJWT({ sid: 'sid-1', roles: ['user'] })
  .setProtectedHeader({ alg: 'EdDSA', typ: JWT_TYPE, kid: 'k1' })
  .setIssuer('gatehouse')
  .setAudience('gatehouse')
  .setSubject('user-1')
  .setIssuedAt()
  .setExpirationTime('1h')
  .setJti('jti-1')
  .sign(signer.privateKey);

/** Verifies `token` against a JWKS endpoint served by `handler`; returns the error code, or 'ok'. */
async function verifyWith(handler: RequestListener): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const keys = createRemoteJWKSet(new URL(`http://127.0.0.1:${port}/jwks.json`));
    await verifyAccessToken(token, keys, { issuer: 'gatehouse', audience: 'gatehouse' });
    return 'ok';
  } catch (err) {
    return err instanceof GatehouseError ? err.code : String(err);
  } finally {
    server.close();
  }
}

const jwks = async (key: Parameters<typeof exportJWK>[0]) =>
  JSON.stringify({ keys: [{ ...(await exportJWK(key)), kid: 'k1', alg: 'EdDSA' }] });

describe('access token verification against a remote JWKS', () => {
  it('verifies a token signed by a key the JWKS holds', async () => {
    const body = await jwks(signer.publicKey);
    expect(await verifyWith((_req, res) => res.end(body))).toBe('ok');
  });

  it('refuses a token signed by another key as invalid_token (401)', async () => {
    const body = await jwks(stranger.publicKey);
    expect(await verifyWith((_req, res) => res.end(body))).toBe('invalid_token');
  });

  it('answers dependency_unavailable (503), not invalid_token, when the JWKS endpoint fails', async () => {
    const down: RequestListener = (_req, res) => {
      res.statusCode = 503;
      res.end('draining');
    };
    expect(await verifyWith(down)).toBe('dependency_unavailable');
    expect(await verifyWith((_req, res) => res.end('<html>not json</html>'))).toBe('dependency_unavailable');
  });
});

describe('one bearer parser and one challenge format for every service', () => {
  it('takes the token of "Bearer <token>" in any case, and nothing else', () => {
    expect(bearerToken('Bearer a.b.c')).toBe('a.b.c');
    expect(bearerToken('bearer  a.b.c ')).toBe('a.b.c');
    for (const header of [undefined, '', 'Bearer', 'Bearer ', 'Bearer    ', 'Basic YTpi', 'Bearera.b.c']) {
      expect(bearerToken(header)).toBeUndefined();
    }
  });

  it('writes the realm and the error code, then the parameters', () => {
    expect(bearerChallenge('invalid_token')).toBe('Bearer realm="gatehouse", error="invalid_token"');
    expect(insufficientUserAuthentication('Step up.', 300).headers).toEqual({
      'www-authenticate':
        'Bearer realm="gatehouse", error="insufficient_user_authentication", error_description="Step up.", max_age=300',
    });
  });
});
