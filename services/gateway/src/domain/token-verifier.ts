import {
  type AccessTokenClaims,
  AccessTokenClaimsSchema,
  GatehouseError,
  JWT_ALGORITHM,
  JWT_CLOCK_TOLERANCE_SECONDS,
  JWT_TYPE,
} from '@gatehouse/contracts';
import { Value } from '@sinclair/typebox/value';
import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import { invalidToken } from './errors.js';

/** Options of {@link createTokenVerifier}. */
export interface TokenVerifierOptions {
  /** Where the signing keys come from; never from the token's own header. */
  keys: JWTVerifyGetKey;
  issuer: string;
  audience: string;
  /** Verified tokens kept; 0 turns the cache off. */
  cacheSize: number;
  now?: () => number;
}

/** Checks an access token and returns its claims, or throws `invalid_token` / `dependency_unavailable`. */
export type TokenVerifier = (token: string) => Promise<AccessTokenClaims>;

/** The JWKS resolver: cached, refetched on an unknown `kid` at most once per `cooldownMs`. */
export function remoteKeys(url: URL, cooldownMs: number): JWTVerifyGetKey {
  return createRemoteJWKSet(url, { cooldownDuration: cooldownMs, timeoutDuration: 2000, cacheMaxAge: 10 * 60_000 });
}

function isKeySourceFailure(err: unknown): boolean {
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return true;
  return !(err instanceof errors.JOSEError);
}

/**
 * Verifies the signature once per token (EdDSA only, `typ` `at+jwt`, `iss`,
 * `aud` and `exp` required, at most 30 s skew) and keeps the verified claims
 * in a bounded LRU until the token expires. A cached token is re-checked
 * against the clock on every hit, so expiry never depends on eviction.
 *
 * @example
 * ```ts
 * const verify = createTokenVerifier({ keys: remoteKeys(url, 5000), issuer, audience, cacheSize: 100_000 });
 * const claims = await verify(token);
 * ```
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const now = options.now ?? Date.now;
  const skewMs = JWT_CLOCK_TOLERANCE_SECONDS * 1000;
  const cache = options.cacheSize > 0 ? new LRUCache<string, AccessTokenClaims>({ max: options.cacheSize }) : undefined;
  return async (token) => {
    const hit = cache?.get(token);
    if (hit !== undefined) {
      if (hit.exp * 1000 + skewMs > now()) return hit;
      cache?.delete(token);
      throw invalidToken('The access token has expired.');
    }
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, options.keys, {
        algorithms: [JWT_ALGORITHM],
        typ: JWT_TYPE,
        issuer: options.issuer,
        audience: options.audience,
        clockTolerance: JWT_CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp', 'iat', 'sub', 'sid'],
        currentDate: new Date(now()),
      }));
    } catch (err) {
      if (isKeySourceFailure(err)) {
        throw new GatehouseError('dependency_unavailable', 'The signing keys cannot be fetched.', { cause: err });
      }
      throw invalidToken('The access token is invalid or has expired.');
    }
    if (!Value.Check(AccessTokenClaimsSchema, payload)) throw invalidToken('The access token claims are malformed.');
    cache?.set(token, payload, { ttl: Math.max(1, payload.exp * 1000 + skewMs - now()) });
    return payload;
  };
}
