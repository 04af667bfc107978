import { type AccessTokenClaims, JWT_CLOCK_TOLERANCE_SECONDS } from '@gatehouse/contracts';
import { verifyAccessToken } from '@gatehouse/runtime';
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
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

/** Characters of a token's end that key the cache (22 base64url characters: 132 bits of its signature). */
const KEY_CHARS = 22;

/** A verified token and its claims. */
interface Verified {
  token: string;
  claims: AccessTokenClaims;
}

/** The JWKS resolver: cached, refetched on an unknown `kid` at most once per `cooldownMs`. */
export function remoteKeys(url: URL, cooldownMs: number): JWTVerifyGetKey {
  return createRemoteJWKSet(url, { cooldownDuration: cooldownMs, timeoutDuration: 2000, cacheMaxAge: 10 * 60_000 });
}

/**
 * Verifies the signature once per token (EdDSA only, `typ` `at+jwt`, `iss`,
 * `aud` and `exp` required, at most 30 s skew) and keeps the verified claims
 * in a bounded LRU until the token expires. A cached token is re-checked
 * against the clock on every hit, so expiry never depends on eviction.
 *
 * The cache is keyed by the last {@link KEY_CHARS} characters of the token
 * (its signature's end) and an entry counts only for the very token it was
 * verified for, compared in full: hashing the whole token, a fresh string of
 * a few hundred characters on every request, cost more than the rest of a
 * cached check (docs/performance.md). A token that shares the key but not
 * the text is verified from scratch and leaves the entry alone.
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
  const cache = options.cacheSize > 0 ? new LRUCache<string, Verified>({ max: options.cacheSize }) : undefined;
  return async (token) => {
    const key = token.slice(-KEY_CHARS);
    const hit = cache?.get(key);
    if (hit !== undefined && hit.token === token) {
      if (hit.claims.exp * 1000 + skewMs > now()) return hit.claims;
      cache?.delete(key);
      throw invalidToken('The access token has expired.');
    }
    const payload = await verifyAccessToken(token, options.keys, {
      issuer: options.issuer,
      audience: options.audience,
      now: now(),
    });
    // No per-entry TTL (it makes every lookup check ages): each hit checks `exp`, an expired
    // entry is dropped when it is next presented, and the LRU bound evicts the rest.
    cache?.set(key, { token, claims: payload });
    return payload;
  };
}
