import { generateKeyPairSync } from 'node:crypto';
import { createLocalJWKSet, exportJWK, type JWTVerifyGetKey, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../../src/domain/token-verifier.js';

const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA' }] });

async function sign(claims: Record<string, unknown>) {
  return await new SignJWT({
    iss: 'gatehouse',
    aud: 'gatehouse',
    sub: 'u1',
    sid: 's1',
    roles: ['user'],
    jti: 'j1',
    ...claims,
  })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' })
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(privateKey);
}

/** A verifier whose key lookups (one per signature check) are counted. */
function countingVerifier() {
  let checks = 0;
  const keys: JWTVerifyGetKey = (header, token) => {
    checks += 1;
    return jwks(header, token);
  };
  const verify = createTokenVerifier({ keys, issuer: 'gatehouse', audience: 'gatehouse', cacheSize: 100 });
  return { verify, checks: () => checks };
}

describe('token verifier cache', () => {
  it('checks a signature once, then answers the same token from the cache', async () => {
    const { verify, checks } = countingVerifier();
    const token = await sign({});
    expect((await verify(token)).sub).toBe('u1');
    expect((await verify(`${token}`)).sub).toBe('u1');
    expect(checks()).toBe(1);
  });

  it('refuses a token that shares the cached signature but not its payload, and keeps the cached one', async () => {
    const { verify, checks } = countingVerifier();
    const token = await sign({});
    await verify(token);
    const [header, , signature] = token.split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify({
        iss: 'gatehouse',
        aud: 'gatehouse',
        sub: 'admin',
        sid: 's1',
        roles: ['auditor'],
        jti: 'j1',
        iat: 1,
        exp: 4e9,
      }),
    ).toString('base64url');
    await expect(verify(`${header}.${forgedPayload}.${signature}`)).rejects.toMatchObject({ code: 'invalid_token' });
    expect(checks()).toBe(2);
    expect((await verify(token)).sub).toBe('u1');
    expect(checks()).toBe(2);
  });
});
