import { SESSION_KEY_PREFIX } from '@gatehouse/contracts';
import type { Redis } from 'ioredis';

/** How {@link countSessions} arrived at its number. */
export interface SessionCount {
  sessions: number;
  /** `scan`: every key was looked at; `sample`: estimated from random keys. */
  method: 'scan' | 'sample';
  keys: number;
}

/**
 * Counts `session:*` keys cheaply: an exact SCAN (never KEYS) while the
 * database holds at most `scanLimit` keys, otherwise an estimate from
 * `samples` RANDOMKEY calls in one pipeline (share of session keys × DBSIZE),
 * whose cost does not grow with the number of sessions.
 *
 * @example
 * ```ts
 * const { sessions } = await countSessions(redis);
 * ```
 */
export async function countSessions(
  redis: Redis,
  options: { scanLimit?: number; samples?: number } = {},
): Promise<SessionCount> {
  const keys = await redis.dbsize();
  if (keys <= (options.scanLimit ?? 20_000)) {
    let cursor = '0';
    let sessions = 0;
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${SESSION_KEY_PREFIX}*`, 'COUNT', 1000);
      cursor = next;
      sessions += batch.length;
    } while (cursor !== '0');
    return { sessions, method: 'scan', keys };
  }
  const samples = options.samples ?? 500;
  const pipeline = redis.pipeline();
  for (let i = 0; i < samples; i++) pipeline.randomkey();
  const replies = (await pipeline.exec()) ?? [];
  const hits = replies.filter(([, key]) => typeof key === 'string' && key.startsWith(SESSION_KEY_PREFIX)).length;
  return { sessions: Math.round((hits / samples) * keys), method: 'sample', keys };
}
