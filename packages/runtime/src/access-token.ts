import { type AccessTokenClaims, AccessTokenClaimsSchema, GatehouseError, JWT_TYPE } from '@gatehouse/contracts';
import { verifyJwt } from '@gatehouse/upstream';
import type { JWTVerifyGetKey } from 'jose';

/**
 * The `WWW-Authenticate` value of every 401 (RFC 6750 §3), one format in
 * every service: `Bearer realm="gatehouse", error="<code>"`, then `params`
 * (a number bare, a string quoted).
 *
 * @example
 * ```ts
 * bearerChallenge('insufficient_user_authentication', { max_age: 300 });
 * // 'Bearer realm="gatehouse", error="insufficient_user_authentication", max_age=300'
 * ```
 */
export function bearerChallenge(
  error: 'invalid_token' | 'insufficient_user_authentication',
  params: Record<string, string | number> = {},
): string {
  const extra = Object.entries(params).map(([name, v]) => `, ${name}=${typeof v === 'number' ? v : `"${v}"`}`);
  return `Bearer realm="gatehouse", error="${error}"${extra.join('')}`;
}

/** The challenge every 401 `invalid_token` carries, a missing token's included. */
const INVALID_TOKEN_CHALLENGE = bearerChallenge('invalid_token');

/**
 * The token of an `Authorization: Bearer <token>` header (scheme in any
 * case), or `undefined` when there is none. The token's form is left to the
 * verifier, which refuses anything that is not a JWT.
 *
 * @example
 * ```ts
 * const token = bearerToken(request.headers.authorization);
 * if (token === undefined) throw invalidToken('A bearer access token is required.');
 * ```
 */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization.length < 8) return undefined;
  if (authorization.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
  const token = authorization.slice(7).trim();
  return token === '' ? undefined : token;
}

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
  const params = { error_description: message, ...(maxAgeSeconds === undefined ? {} : { max_age: maxAgeSeconds }) };
  return new GatehouseError('insufficient_user_authentication', message, {
    headers: { 'www-authenticate': bearerChallenge('insufficient_user_authentication', params) },
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
