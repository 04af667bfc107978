import { isIdle, SESSION_LAST_SEEN_FIELD, sessionKey, touchIntervalSeconds } from '@gatehouse/contracts';
import type { RedisContext } from '../redis/context.js';
import type { StoredSession } from './sessions.js';

/** True when the optional idle timeout is on and the session has not been used for that long. */
export function isIdleExpired(session: StoredSession, idleTimeoutSeconds: number, nowSeconds: number): boolean {
  return isIdle(session.lastSeenAt ?? Number(session.createdAt), idleTimeoutSeconds, nowSeconds);
}

/**
 * Refreshes the last-use stamp when it is older than the touch interval, so a
 * busy client costs one write a minute, not one per request. The script never
 * creates a session that has meanwhile been deleted.
 */
export async function touchSession(
  redis: RedisContext,
  session: StoredSession,
  idleTimeoutSeconds: number,
  nowSeconds: number,
): Promise<void> {
  if (idleTimeoutSeconds <= 0) return;
  const lastSeen = session.lastSeenAt ?? Number(session.createdAt);
  const interval = touchIntervalSeconds(idleTimeoutSeconds);
  if (nowSeconds - lastSeen < interval) return;
  await redis.run('ghTouchSession', [sessionKey(session.sessionId)], [SESSION_LAST_SEEN_FIELD, nowSeconds, interval]);
}
