import {
  AUTH_EVENTS_STREAM,
  EVENT_FIELD,
  GatehouseError,
  type LoginResponse,
  type MfaProof,
  SESSION_AMR_FIELD,
  SESSION_AUTH_TIME_FIELD,
  sessionKey,
} from '@gatehouse/contracts';
import type { ClientInfo } from '../client.js';
import type { LoginDeps } from '../login.js';
import { checkLoginRate } from '../rate-limit.js';
import type { StoredSession } from '../sessions.js';
import { signAccessToken } from '../tokens.js';
import { mfaEventJson, recordMfaFailure } from './events.js';
import { passkeyScope } from './passkeys.js';
import { verifyProof } from './proof.js';

/**
 * Adds a proved factor to a live session: its `amr` gains the method, its
 * `auth_time` becomes now, and `event` is appended, in one script that never
 * recreates an ended session. Returns false when the session is gone.
 */
export async function addFactorToSession(
  deps: Pick<LoginDeps, 'redis'>,
  session: StoredSession,
  amr: string,
  nowSeconds: number,
  event: string,
): Promise<{ amr: string[] } | null> {
  const methods = session.amr.includes(amr) ? session.amr : [...session.amr, amr];
  const written = await deps.redis.run(
    'ghSessionUpdate',
    [sessionKey(session.sessionId), AUTH_EVENTS_STREAM],
    [EVENT_FIELD, event, SESSION_AMR_FIELD, methods.join(','), SESSION_AUTH_TIME_FIELD, nowSeconds],
  );
  return Number(written) === 1 ? { amr: methods } : null;
}

/**
 * `POST /auth/mfa/step-up`: proves a second factor on the current session
 * (the login limits apply, as to a login) and answers a new access token for
 * the same session carrying the new `amr` and `auth_time`.
 */
export async function stepUp(
  deps: LoginDeps,
  session: StoredSession,
  proof: MfaProof,
  client: ClientInfo,
): Promise<LoginResponse> {
  await checkLoginRate(deps.redis, deps.limits, session.username, client);
  const now = Date.now();
  const user = { id: session.userId, username: session.username };
  const result = await verifyProof(deps.mfa, user, proof, now, passkeyScope.stepUp(session.sessionId));
  const common = { user, factor: result.factor, sessionId: session.sessionId, client };
  if (!result.ok) {
    await recordMfaFailure(deps.redis, deps.limits.failureWindowSeconds, { ...common, reason: result.reason });
    throw new GatehouseError('invalid_credentials', 'The code is incorrect.');
  }
  const type = result.factor === 'recovery' ? 'auth.mfa.recovery_used' : 'auth.mfa.succeeded';
  const nowSeconds = Math.floor(now / 1000);
  const event = mfaEventJson(type, { ...common, reason: 'step_up' });
  const updated = await addFactorToSession(deps, session, result.amr, nowSeconds, event);
  if (!updated) throw new GatehouseError('invalid_token', 'The session has ended.');
  const expiresAt = Number(session.expiresAt);
  const accessToken = await signAccessToken(deps.keys, deps.audience, {
    userId: session.userId,
    sessionId: session.sessionId,
    roles: session.roles.split(',').filter((r) => r !== ''),
    amr: updated.amr,
    authTime: nowSeconds,
    issuedAt: nowSeconds,
    expiresAt,
  });
  return {
    accessToken,
    tokenType: 'Bearer',
    expiresIn: Math.max(0, expiresAt - nowSeconds),
    sessionId: session.sessionId,
  };
}
