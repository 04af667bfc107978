import {
  AUTH_EVENTS_STREAM,
  EVENT_FIELD,
  GatehouseError,
  loginAttemptsIpKey,
  loginAttemptsKey,
  loginFailuresKey,
} from '@gatehouse/contracts';
import type { RedisContext } from '../redis/context.js';
import { type ClientInfo, clientFields, eventJson, publishEvent } from './client.js';

/** The login limits (from `LOGIN_*` variables). */
export interface LoginLimits {
  maxAttempts: number;
  windowSeconds: number;
  maxAttemptsPerIp: number;
  maxFailures: number;
  failureWindowSeconds: number;
}

/**
 * Counts one attempt for the account and for the client address (counter and
 * TTL set in one script, so no counter ever lives without its TTL) and checks
 * the account's failure count. Over a limit: publishes
 * `auth.login.rate_limited` and throws 429 with `Retry-After`, before any
 * password is checked.
 */
export async function checkLoginRate(
  redis: RedisContext,
  limits: LoginLimits,
  username: string,
  client: ClientInfo,
): Promise<void> {
  const keys = [loginAttemptsKey(username), loginAttemptsIpKey(client.ip), loginFailuresKey(username)];
  const args = [limits.windowSeconds, limits.maxAttempts, limits.maxAttemptsPerIp, limits.maxFailures];
  const [verdict, ttl] = (await redis.run('ghRateLimit', keys, args)) as [string, number];
  if (verdict === 'ok') return;
  await publishEvent(
    redis,
    eventJson({ type: 'auth.login.rate_limited', username, reason: verdict, ...clientFields(client) }),
  );
  const retryAfter = Math.max(1, Number(ttl));
  throw new GatehouseError('too_many_attempts', `Too many login attempts; retry in ${retryAfter} s.`, {
    headers: { 'retry-after': String(retryAfter) },
  });
}

/** Counts one failure for the account (long window) and publishes `auth.login.failed`, atomically. */
export async function recordLoginFailure(
  redis: RedisContext,
  limits: LoginLimits,
  failure: { username: string; userId: string | null; reason: string; client: ClientInfo },
): Promise<void> {
  const event = eventJson({
    type: 'auth.login.failed',
    subject: failure.userId,
    username: failure.username,
    reason: failure.reason,
    ...clientFields(failure.client),
  });
  await redis.run(
    'ghLoginFailed',
    [loginFailuresKey(failure.username), AUTH_EVENTS_STREAM],
    [limits.failureWindowSeconds, EVENT_FIELD, event],
  );
}
