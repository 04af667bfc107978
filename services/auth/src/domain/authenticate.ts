import type { AccessTokenClaims } from '@gatehouse/contracts';
import { bearerToken } from '@gatehouse/runtime';
import type { RedisContext } from '../redis/context.js';
import { isIdleExpired, touchSession } from './idle.js';
import { readSession, type StoredSession } from './sessions.js';
import { invalidToken, type TokenVerifier } from './tokens.js';

/** What {@link authenticate} needs. */
export interface AuthenticateDeps {
  verifyToken: TokenVerifier;
  redis: RedisContext;
  idleTimeoutSeconds: number;
  /** Milliseconds since the epoch. */
  now: () => number;
}

/** A verified bearer token and its session (null when the session has ended). */
export interface Authenticated {
  claims: AccessTokenClaims;
  session: StoredSession | null;
}

/**
 * Checks the `Authorization: Bearer` token (signature by one of auth's own
 * keys, EdDSA only, typ, iss, aud, exp), then loads `session:{sid}` and
 * requires it to belong to `sub`. With `requireSession` an ended, revoked or
 * idle session is refused with 401 `invalid_token`.
 */
export async function authenticate(
  deps: AuthenticateDeps,
  authorization: string | undefined,
  options: { requireSession: boolean },
): Promise<Authenticated> {
  const token = bearerToken(authorization);
  if (token === undefined) throw invalidToken('A bearer access token is required.');
  const claims = await deps.verifyToken(token);
  const now = Math.floor(deps.now() / 1000);
  let session = await readSession(deps.redis, claims.sid);
  if (session && (session.userId !== claims.sub || isIdleExpired(session, deps.idleTimeoutSeconds, now))) {
    session = null;
  }
  if (session === null && options.requireSession) throw invalidToken('The session has ended.');
  if (session) await touchSession(deps.redis, session, deps.idleTimeoutSeconds, now);
  return { claims, session };
}
