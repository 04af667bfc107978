import { invalidToken } from './errors.js';
import type { SessionRecord } from './session-record.js';
import type { TokenVerifier } from './token-verifier.js';

/** Who a request belongs to, after the token and its session were checked. */
export interface Identity {
  userId: string;
  username: string;
  sessionId: string;
  roles: string[];
  /** How the user authenticated in this session (from the session, the source of truth: step-up changes it). */
  amr: string[];
}

/** Reads a session by id within `budgetMs` (else a 503); `null` when it is gone. */
export type SessionLookup = (sessionId: string, budgetMs: number) => Promise<SessionRecord | null>;

/** The bearer token of an `Authorization` header, or `undefined`. */
function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization.length < 8) return undefined;
  if (authorization.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
  const token = authorization.slice(7).trim();
  return token === '' ? undefined : token;
}

/**
 * Checks a request's bearer token (signature, claims) and then its session
 * (`session:{sid}` exists, belongs to the token's `sub`, not past
 * `expiresAt`). Roles come from the session, the source of truth. The
 * session read gets what is left of the request's Redis deadline, `budgetMs`.
 *
 * @example
 * ```ts
 * const identity = await authenticate(request.headers.authorization, verifyToken, (sid) => sessions.get(sid));
 * ```
 */
export async function authenticate(
  authorization: string | undefined,
  verifyToken: TokenVerifier,
  lookupSession: SessionLookup,
  budgetMs = Number.POSITIVE_INFINITY,
): Promise<Identity> {
  const token = bearerToken(authorization);
  if (token === undefined) throw invalidToken('A bearer access token is required.');
  const claims = await verifyToken(token);
  const session = await lookupSession(claims.sid, budgetMs);
  if (session === null || session.userId !== claims.sub) throw invalidToken('The session has ended.');
  return {
    userId: session.userId,
    username: session.username,
    sessionId: claims.sid,
    roles: session.roles,
    amr: session.amr,
  };
}
