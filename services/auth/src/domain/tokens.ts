import { randomUUID } from 'node:crypto';
import {
  type AccessTokenClaims,
  AccessTokenClaimsSchema,
  GatehouseError,
  JWT_ALGORITHM,
  JWT_CLOCK_TOLERANCE_SECONDS,
  JWT_TYPE,
} from '@gatehouse/contracts';
import { Value } from '@sinclair/typebox/value';
import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
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
  claims: { userId: string; sessionId: string; roles: string[]; issuedAt: number; expiresAt: number },
): Promise<string> {
  return await new SignJWT({ sid: claims.sessionId, roles: claims.roles })
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
  return async function verifyAccessToken(token: string): Promise<AccessTokenClaims> {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, keySet, {
        algorithms: [JWT_ALGORITHM],
        typ: JWT_TYPE,
        issuer: audience.issuer,
        audience: audience.audience,
        clockTolerance: JWT_CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['sub', 'sid', 'exp', 'iat', 'jti'],
      }));
    } catch (err) {
      throw invalidToken('The access token is invalid or expired.', err);
    }
    if (!Value.Check(AccessTokenClaimsSchema, payload)) throw invalidToken('The access token has malformed claims.');
    return payload;
  };
}

/** A verifier made by {@link createTokenVerifier}. */
export type TokenVerifier = ReturnType<typeof createTokenVerifier>;

/** 401 `invalid_token` with the RFC 6750 challenge. */
export function invalidToken(message: string, cause?: unknown): GatehouseError {
  return new GatehouseError('invalid_token', message, {
    cause,
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
  });
}
