import {
  ASSERTION_ISSUER,
  ASSERTION_TTL_SECONDS,
  ASSERTION_TYPE,
  type AssertionClaims,
  AssertionClaimsSchema,
  GatehouseError,
  IDENTITY_HEADERS,
} from '@gatehouse/contracts';
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { verifyJwt } from './verify-jwt.js';

/** Who a request comes from, as the gateway asserted it. */
export interface UpstreamIdentity {
  userId: string;
  username: string;
  sessionId: string;
  roles: string[];
  /** How the session was authenticated (`pwd`, `otp`, `hwk`, `swk`): a route can demand a second factor. */
  amr: string[];
  /** When the assertion expires (ms since the epoch). */
  expiresAt: number;
}

/** Options of {@link createIdentityVerifier}. */
export interface IdentityVerifierOptions {
  /** The `aud` this service accepts: its route prefix at the gateway (`/api/orders`), or `audit`. */
  audience: string;
  /** The gateway's JWKS, e.g. `http://gateway:8080/.well-known/gateway-jwks.json`. */
  jwksUrl?: string | URL;
  /** Keys to verify with instead of `jwksUrl` (tests, or keys pinned from a file). */
  keys?: JWTVerifyGetKey;
  /** Verified assertions kept until they expire (default 10,000; 0 turns it off). */
  cacheSize?: number;
  now?: () => number;
}

/** Anything with Node's request headers: `http.IncomingMessage`, an Express or Fastify request. */
export interface RequestLike {
  headers: Record<string, string | string[] | undefined>;
}

/** Checks a request's assertion; resolves with the identity or rejects with a `GatehouseError` (401 or 503). */
export type IdentityVerifier = (request: RequestLike) => Promise<UpstreamIdentity>;

/** A 401 for a request without a valid assertion: the caller did not come through the gateway. */
export function invalidAssertion(message: string, cause?: unknown): GatehouseError {
  return new GatehouseError('invalid_token', message, cause === undefined ? undefined : { cause });
}

function identityOf(claims: AssertionClaims): UpstreamIdentity {
  return {
    userId: claims.sub,
    username: claims.username,
    sessionId: claims.sid,
    roles: claims.roles,
    amr: claims.amr,
    expiresAt: claims.exp * 1000,
  };
}

/**
 * Makes the check an upstream runs on every request: the gateway's identity
 * assertion (`x-gatehouse-assertion`) must be present, signed with EdDSA by
 * a key of the gateway's JWKS (fetched once, refetched on an unknown `kid`),
 * issued by the gateway, for this `audience`, issued at most a minute ago
 * and not expired. Plain
 * `x-user-*` headers are never trusted. A verified assertion is kept until it
 * expires, so the gateway's reuse of one assertion per session and route costs
 * one signature check, not one per request.
 *
 * @example
 * ```ts
 * const verify = createIdentityVerifier({ audience: '/api/orders', jwksUrl: 'http://gateway:8080/.well-known/gateway-jwks.json' });
 * http.createServer(async (req, res) => {
 *   const who = await verify(req).catch((err) => err);
 *   if (who instanceof Error) return res.writeHead(who.statusCode ?? 401).end();
 *   res.end(`hello ${who.username}`);
 * });
 * ```
 */
export function createIdentityVerifier(options: IdentityVerifierOptions): IdentityVerifier {
  const keys =
    options.keys ??
    (options.jwksUrl !== undefined
      ? createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: 5000, timeoutDuration: 2000 })
      : undefined);
  if (keys === undefined) throw new Error('createIdentityVerifier needs jwksUrl or keys');
  const now = options.now ?? Date.now;
  const cacheSize = options.cacheSize ?? 10_000;
  const cache = new Map<string, UpstreamIdentity>();
  return async (request) => {
    const header = request.headers[IDENTITY_HEADERS.assertion];
    const token = Array.isArray(header) ? undefined : header;
    if (token === undefined || token === '') {
      throw invalidAssertion('The request carries no identity assertion from the gateway.');
    }
    const hit = cache.get(token);
    if (hit !== undefined) {
      if (hit.expiresAt > now()) return hit;
      cache.delete(token);
    }
    const claims = await verifyJwt(token, keys, {
      typ: ASSERTION_TYPE,
      issuer: ASSERTION_ISSUER,
      audience: options.audience,
      requiredClaims: ['sub', 'sid', 'exp', 'iat'],
      schema: AssertionClaimsSchema,
      invalid: invalidAssertion,
      name: 'identity assertion',
      maxAgeSeconds: ASSERTION_TTL_SECONDS,
      now: now(),
    });
    const identity = identityOf(claims);
    if (cacheSize > 0) {
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string);
      cache.set(token, identity);
    }
    return identity;
  };
}
