import { type AuditUserSummary, sessionKey, userSessionsKey } from '@gatehouse/contracts';
import type { Pool, Redis } from '@gatehouse/runtime';
import { toView, VIEW_COLUMNS } from './query.repository.js';

async function liveSessions(redis: Redis, userId: string): Promise<string[]> {
  const sids = await redis.zrange(userSessionsKey(userId), 0, -1);
  if (sids.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const sid of sids) pipeline.exists(sessionKey(sid));
  const replies = (await pipeline.exec()) ?? [];
  return sids.filter((_sid, i) => replies[i]?.[1] === 1).sort();
}

async function countsSince(pool: Pool, where: string, value: string, since: Date): Promise<[number, number]> {
  const { rows } = await pool.query<{ failures: number; lockouts: number }>(
    `SELECT count(*) FILTER (WHERE type = 'auth.login.failed')::int AS failures,
            count(*) FILTER (WHERE type = 'auth.login.rate_limited')::int AS lockouts
     FROM audit_events WHERE ${where} AND occurred_at >= $2`,
    [value, since.toISOString()],
  );
  return [rows[0]?.failures ?? 0, rows[0]?.lockouts ?? 0];
}

/**
 * A user's last successful login, failures and lockouts in the 24 h before
 * `now` (events carrying the user id, plus those for the user's latest
 * username that carry no user id), and live sessions from Redis.
 */
export async function userSummary(
  deps: { pool: Pool; redis: Redis },
  userId: string,
  now: Date,
): Promise<AuditUserSummary> {
  const { pool, redis } = deps;
  const since = new Date(now.getTime() - 24 * 3600 * 1000);
  const [last, named, sessions] = await Promise.all([
    pool.query(
      `SELECT ${VIEW_COLUMNS} FROM audit_events WHERE user_id = $1 AND type = 'auth.login.succeeded'
       ORDER BY occurred_at DESC, seq DESC LIMIT 1`,
      [userId],
    ),
    pool.query<{ username: string }>(
      `SELECT username FROM audit_events WHERE user_id = $1 AND username IS NOT NULL
       ORDER BY occurred_at DESC, seq DESC LIMIT 1`,
      [userId],
    ),
    liveSessions(redis, userId),
  ]);
  const username = named.rows[0]?.username ?? null;
  const [byId, byName] = await Promise.all([
    countsSince(pool, 'user_id = $1', userId, since),
    username ? countsSince(pool, 'user_id IS NULL AND username = $1', username, since) : Promise.resolve([0, 0]),
  ]);
  return {
    userId,
    username,
    lastSuccessfulLogin: last.rows[0] ? toView(last.rows[0]) : null,
    failuresLast24h: byId[0] + byName[0],
    lockoutsLast24h: byId[1] + byName[1],
    activeSessions: sessions,
  };
}
