/**
 * Redis key builders. They keep the names a person types in `redis-cli`
 * (`session:…`, `login_attempts:…`); no service builds a key by hand.
 *
 * @example
 * ```ts
 * await redis.hgetall(sessionKey(sid));
 * ```
 */

/** One live session hash; its TTL is the session's remaining lifetime. */
export function sessionKey(sessionId: string): string {
  return `session:${sessionId}`;
}

/** Sorted set of the session ids of one user, scored by each session's end (epoch seconds). */
export function userSessionsKey(userId: string): string {
  return `user_sessions:${userId}`;
}

/** Per-account attempt counter for the short window (usernames are case-insensitive). */
export function loginAttemptsKey(username: string): string {
  return `login_attempts:${username.toLowerCase()}`;
}

/** Per-client-address attempt counter for the short window. */
export function loginAttemptsIpKey(ip: string): string {
  return `login_attempts:ip:${ip}`;
}

/** Per-account failure counter for the long window (100 failures an hour by default). */
export function loginFailuresKey(username: string): string {
  return `login_failures:${username.toLowerCase()}`;
}

/** The prefix every session key shares, for `SCAN MATCH` and client-side tracking. */
export const SESSION_KEY_PREFIX = 'session:';

/** A pending second login step: hash (`sub`, attempts `n`, valid-until `exp`); single use. */
export function mfaChallengeKey(challengeId: string): string {
  return `mfa_challenge:${challengeId}`;
}

/** The last TOTP time step accepted for a user (a code is refused at or below it: single use). */
export function totpLastStepKey(userId: string): string {
  return `mfa_totp_step:${userId}`;
}

/** The WebAuthn challenge of one passkey ceremony, keyed by the session or login challenge it belongs to; single use. */
export function passkeyChallengeKey(scope: string): string {
  return `mfa_passkey:${scope}`;
}
