import {
  canonicalUsername,
  GatehouseError,
  type LoginBody,
  type LoginResponse,
  type LoginResult,
  type MfaMethod,
} from '@gatehouse/contracts';
import type { Pool } from '@gatehouse/runtime';
import { type RedisContext, unavailableOnError } from '../redis/context.js';
import { findLoginUser, type UserRecord } from '../repositories/users.repository.js';
import { abandonSession } from './abandon.js';
import type { ClientInfo } from './client.js';
import type { KeyRing } from './keys.js';
import { createChallenge } from './mfa/challenge.js';
import type { MfaDeps } from './mfa/deps.js';
import { verifyPassword } from './passwords.js';
import { checkLoginRate, type LoginLimits, recordLoginFailure } from './rate-limit.js';
import { createSession, generateSessionId } from './sessions.js';
import { signAccessToken, type TokenAudience } from './tokens.js';

/** What {@link login} needs. */
export interface LoginDeps {
  redis: RedisContext;
  pool: Pool;
  keys: KeyRing;
  audience: TokenAudience;
  limits: LoginLimits;
  sessionTtlSeconds: number;
  idleTimeoutSeconds: number;
  /** Milliseconds since the epoch: a session's creation and first last-use stamp. */
  now: () => number;
  mfa: MfaDeps;
}

const INVALID = 'The username or password is incorrect.';

/**
 * Makes the name canonical (one account, one lockout counter and one name in
 * events for every spelling), checks the rate limits, then the password (a
 * dummy verification for an unknown user, so both failures cost the same). A
 * user with a second factor gets `mfa_required` and a challenge for
 * `POST /auth/login/mfa`; anyone else gets a session, written atomically with
 * its event, and an access token that ends with it. Unknown user, wrong
 * password and disabled account give the same 401.
 */
export async function login(deps: LoginDeps, body: LoginBody, client: ClientInfo): Promise<LoginResult> {
  const username = canonicalUsername(body.username);
  await checkLoginRate(deps.redis, deps.limits, username, client);
  const user = await unavailableOnError(() => findLoginUser(deps.pool, username));
  const matches = await verifyPassword(user?.passwordHash ?? null, body.password);
  if (!user || !matches || user.disabled) {
    const reason = user && matches ? 'account_disabled' : 'invalid_credentials';
    await recordLoginFailure(deps.redis, deps.limits, {
      username,
      userId: user?.id ?? null,
      reason,
      client,
    });
    throw new GatehouseError('invalid_credentials', INVALID);
  }
  const { factors } = user;
  if (!factors.totp && factors.passkeys === 0) return await startSession(deps, user, client, ['pwd']);
  const methods: MfaMethod[] = [];
  if (factors.totp) methods.push('totp');
  if (factors.passkeys > 0) methods.push('passkey');
  if (factors.recoveryCodesRemaining > 0) methods.push('recovery');
  const ttl = deps.mfa.challenge.ttlSeconds;
  const challenge = await createChallenge(deps.redis, user, ttl, Math.floor(Date.now() / 1000));
  return { status: 'mfa_required', challenge, methods, expiresIn: ttl };
}

/** Writes a session (and `auth.login.succeeded`) for an authenticated user and signs its token. */
export async function startSession(
  deps: LoginDeps,
  user: UserRecord,
  client: ClientInfo,
  amr: string[],
): Promise<LoginResponse> {
  const sessionId = generateSessionId();
  const createdAt = Math.floor(deps.now() / 1000);
  const owner = { id: user.id, username: user.username, roles: user.roles };
  const ttlSeconds = deps.sessionTtlSeconds;
  try {
    await createSession(deps.redis, {
      sessionId,
      user: owner,
      client,
      createdAt,
      ttlSeconds,
      idleTimeoutSeconds: deps.idleTimeoutSeconds,
      amr,
    });
  } catch (err) {
    void abandonSession(deps.redis, { sessionId, userId: user.id, username: user.username }, client, ttlSeconds);
    throw err;
  }
  const accessToken = await signAccessToken(deps.keys, deps.audience, {
    userId: user.id,
    sessionId,
    roles: user.roles,
    amr,
    authTime: createdAt,
    issuedAt: createdAt,
    expiresAt: createdAt + ttlSeconds,
  });
  return { accessToken, tokenType: 'Bearer', expiresIn: ttlSeconds, sessionId };
}
