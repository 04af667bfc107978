import { randomUUID } from 'node:crypto';
import { type AccessTokenClaims, JWT_ALGORITHM, JWT_TYPE } from '@gatehouse/contracts';
import { invalidToken, verifyAccessToken } from '@gatehouse/runtime';
import { createLocalJWKSet, SignJWT } from 'jose';
import type { KeyRing } from './keys.js';

/** Who a token is for and what it is valid for. */
export interface TokenAudience {
  issuer: string;
  audience: string;
}

/** Signs an access token for a session; it ends when the session does. */
export async function signAccessToken(
  keys: KeyRing,
  audience: TokenAudience,
  claims: {
    userId: string;
    sessionId: string;
    roles: string[];
    amr: string[];
    authTime: number;
    issuedAt: number;
    expiresAt: number;
  },
): Promise<string> {
  return await new SignJWT({ sid: claims.sessionId, roles: claims.roles, amr: claims.amr, auth_time: claims.authTime })
    .setProtectedHeader({ alg: JWT_ALGORITHM, typ: JWT_TYPE, kid: keys.kid })
    .setIssuer(audience.issuer)
    .setAudience(audience.audience)
    .setSubject(claims.userId)
    .setIssuedAt(claims.issuedAt)
    .setExpirationTime(claims.expiresAt)
    .setJti(randomUUID())
    .sign(keys.signingKey);
}

/** Builds the verifier of tokens signed by any key of the ring. */
export function createTokenVerifier(keys: KeyRing, audience: TokenAudience) {
  const keySet = createLocalJWKSet(keys.jwks);
  return (token: string): Promise<AccessTokenClaims> => verifyAccessToken(token, keySet, audience);
}

/** A verifier made by {@link createTokenVerifier}. */
export type TokenVerifier = ReturnType<typeof createTokenVerifier>;

export { invalidToken };
