import { type AccessTokenClaims, AccessTokenClaimsSchema, GatehouseError, JWT_TYPE } from '@gatehouse/contracts';
import { verifyJwt } from '@gatehouse/upstream';
import type { JWTVerifyGetKey } from 'jose';

/** The challenge every 401 `invalid_token` carries (RFC 6750). */
const INVALID_TOKEN_CHALLENGE = 'Bearer realm="gatehouse", error="invalid_token"';

/** A 401 `invalid_token` with the bearer challenge header. */
export function invalidToken(message: string, cause?: unknown): GatehouseError {
  return new GatehouseError('invalid_token', message, {
    cause,
    headers: { 'www-authenticate': INVALID_TOKEN_CHALLENGE },
  });
}

/**
 * A 401 `insufficient_user_authentication` (RFC 9470): the token is good but
 * the session lacks a second factor, or (with `maxAgeSeconds`) a recent
 * enough one; the client should step up (`POST /auth/mfa/step-up`).
 */
export function insufficientUserAuthentication(message: string, maxAgeSeconds?: number): GatehouseError {
  const maxAge = maxAgeSeconds === undefined ? '' : `, max_age=${maxAgeSeconds}`;
  return new GatehouseError('insufficient_user_authentication', message, {
    headers: {
      'www-authenticate': `Bearer realm="gatehouse", error="insufficient_user_authentication", error_description="${message}"${maxAge}`,
    },
  });
}

/**
 * Verifies a Gatehouse access token: EdDSA only, `typ` `at+jwt`, `iss` and
 * `aud` as given, `sub`/`sid`/`exp`/`iat`/`jti` required, at most 30 s of
 * clock skew, keys only from `keys` (never from the token's header), and the
 * claims checked against the contract. Throws {@link invalidToken} for a bad
 * token and `dependency_unavailable` when the keys cannot be fetched.
 *
 * @example
 * ```ts
 * const claims = await verifyAccessToken(token, createLocalJWKSet(jwks), { issuer, audience });
 * ```
 */
export async function verifyAccessToken(
  token: string,
  keys: JWTVerifyGetKey,
  options: { issuer: string; audience: string; now?: number },
): Promise<AccessTokenClaims> {
  return await verifyJwt(token, keys, {
    typ: JWT_TYPE,
    issuer: options.issuer,
    audience: options.audience,
    requiredClaims: ['sub', 'sid', 'exp', 'iat', 'jti'],
    schema: AccessTokenClaimsSchema,
    invalid: invalidToken,
    name: 'access token',
    ...(options.now === undefined ? {} : { now: options.now }),
  });
}
