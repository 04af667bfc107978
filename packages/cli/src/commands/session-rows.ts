import { findUserByUsername, listSessions, readSession, type StoredSession, toStored } from '@gatehouse/auth';
import { SESSION_KEY_PREFIX, sessionKey } from '@gatehouse/contracts';
import type { Redis } from '@gatehouse/runtime';
import type { CliContext } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { duration, isoSeconds, table } from '../output.js';
import type { Progress } from '../progress.js';

/** A session as the CLI shows it: the stored hash plus its remaining lifetime. */
export type SessionRow = StoredSession & { ttlSeconds: number };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The user id `--user` names: an id as is, or a username looked up in PostgreSQL. */
export async function resolveUserId(ctx: CliContext, user: string): Promise<string> {
  if (UUID.test(user)) return user.toLowerCase();
  const { pool } = await ctx.database();
  const found = await findUserByUsername(pool, user);
  if (!found) throw new CliError(`No user named "${user}".`, EXIT.notFound);
  return found.id;
}

async function withTtl(redis: Redis, sessions: StoredSession[]): Promise<SessionRow[]> {
  if (sessions.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const s of sessions) pipeline.ttl(sessionKey(s.sessionId));
  const ttls = (await pipeline.exec()) ?? [];
  return sessions.map((s, i) => ({ ...s, ttlSeconds: Number(ttls[i]?.[1] ?? -2) }));
}

/** One session with its TTL, or a not-found error. */
export async function showSession(ctx: CliContext, sessionId: string): Promise<SessionRow> {
  const redis = await ctx.redis();
  const session = await readSession(redis, sessionId);
  if (!session) throw new CliError(`No live session "${sessionId}".`, EXIT.notFound);
  const [row] = await withTtl(redis.redis, [session]);
  return row as SessionRow;
}

/** The live sessions of one user (from `user_sessions:{id}`), oldest first. */
export async function userSessions(ctx: CliContext, userId: string): Promise<SessionRow[]> {
  const redis = await ctx.redis();
  return await withTtl(redis.redis, await listSessions(redis, userId));
}

/**
 * Every live session, found with SCAN (never KEYS) in pages of 1000 keys,
 * each page read back in one pipeline; progress goes to stderr.
 */
export async function scanSessions(ctx: CliContext, progress: Progress): Promise<SessionRow[]> {
  const { redis } = await ctx.redis();
  const rows: SessionRow[] = [];
  let cursor = '0';
  let pages = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${SESSION_KEY_PREFIX}*`, 'COUNT', 1000);
    cursor = next;
    pages += 1;
    if (keys.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.hgetall(key).ttl(key);
    const replies = (await pipeline.exec()) ?? [];
    keys.forEach((key, i) => {
      const sessionId = key.slice(SESSION_KEY_PREFIX.length);
      const session = toStored(sessionId, (replies[i * 2]?.[1] ?? {}) as Record<string, string>);
      if (session) rows.push({ ...session, ttlSeconds: Number(replies[i * 2 + 1]?.[1]) });
    });
    progress.update(`scanned ${pages} page(s), ${rows.length} session(s) so far…`);
  } while (cursor !== '0');
  progress.done(`${rows.length} session(s).`);
  return rows.sort((a, b) => Number(a.createdAt) - Number(b.createdAt));
}

/** Sessions as the JSON the `--json` flag prints. */
export function sessionJson(s: SessionRow) {
  return {
    sessionId: s.sessionId,
    userId: s.userId,
    username: s.username,
    roles: s.roles === '' ? [] : s.roles.split(','),
    ip: s.ip,
    createdAt: isoSeconds(s.createdAt),
    expiresAt: isoSeconds(s.expiresAt),
    ttlSeconds: s.ttlSeconds,
    ...(s.lastSeenAt === undefined ? {} : { lastSeenAt: isoSeconds(s.lastSeenAt) }),
  };
}

/** Sessions as an aligned table. */
export function sessionTable(rows: SessionRow[]): string[] {
  return table(
    ['SESSION', 'USER', 'ROLES', 'IP', 'CREATED', 'EXPIRES IN'],
    rows.map((s) => [s.sessionId, s.username, s.roles, s.ip, isoSeconds(s.createdAt), duration(s.ttlSeconds)]),
  );
}
