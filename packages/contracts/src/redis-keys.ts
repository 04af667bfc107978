import { canonicalUsername } from './username.js';

/**
 * Redis key builders. They keep the names a person types in `redis-cli`
 * (`session:…`, `login_attempts:…`); no service builds a key by hand.
 * Every family that takes a name from a client has one fixed sub-prefix per
 * kind of subject (`login_attempts:user:` / `login_attempts:ip:`), so no
 * username can spell another family's key.
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

/** Per-account attempt counter for the short window, under the {@link canonicalUsername} form. */
export function loginAttemptsKey(username: string): string {
  return `${LOGIN_ATTEMPTS_USER_PREFIX}${canonicalUsername(username)}`;
}

/** Per-client-address attempt counter for the short window. */
export function loginAttemptsIpKey(ip: string): string {
  return `${LOGIN_ATTEMPTS_IP_PREFIX}${ip}`;
}

/** Per-account failure counter for the long window (100 failures an hour by default), under the canonical name. */
export function loginFailuresKey(username: string): string {
  return `${LOGIN_FAILURES_USER_PREFIX}${canonicalUsername(username)}`;
}

/** The prefix of {@link loginAttemptsKey}. */
export const LOGIN_ATTEMPTS_USER_PREFIX = 'login_attempts:user:';
/** The prefix of {@link loginAttemptsIpKey}. */
export const LOGIN_ATTEMPTS_IP_PREFIX = 'login_attempts:ip:';
/** The prefix of {@link loginFailuresKey}. */
export const LOGIN_FAILURES_USER_PREFIX = 'login_failures:user:';

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

/**
 * The revocation barrier (guarantee 5). After a logout or revocation, auth
 * publishes a nonce here; every gateway whose session cache is on is
 * subscribed on the same connection that receives its invalidations, so by the
 * time it sees the nonce it has dropped the revoked sessions, and it echoes the
 * nonce on {@link REVOCATION_ACK_CHANNEL}. Auth answers once every subscriber
 * counted by `PUBLISH` has echoed, or once `SESSION_CACHE_LEASE_MS` has passed
 * (then a silent gateway's cache lease has lapsed).
 */
export const REVOCATION_BARRIER_CHANNEL = 'gatehouse:revocations';
/** Where gateways echo the nonces of {@link REVOCATION_BARRIER_CHANNEL}. */
export const REVOCATION_ACK_CHANNEL = 'gatehouse:revocations:applied';
/** The default `SESSION_CACHE_LEASE_MS` of gateways and auth: the two must agree. */
export const SESSION_CACHE_LEASE_MS_DEFAULT = 300;
