import { createHash, randomBytes } from 'node:crypto';
import {
  AUTH_EVENTS_STREAM,
  EVENT_FIELD,
  parseAmr,
  parseRoles,
  parseSessionHash,
  SESSION_AMR_FIELD,
  SESSION_AUTH_TIME_FIELD,
  SESSION_KEY_PREFIX,
  SESSION_LAST_SEEN_FIELD,
  type SessionHash,
  type SessionView,
  sessionHashFields,
  sessionKey,
  userSessionsKey,
} from '@gatehouse/contracts';
import { type RedisContext, unavailableOnError } from '../redis/context.js';
import { type ClientInfo, clientFields, eventJson } from './client.js';

/** A new random session id: 128 bits, base64url (22 characters). */
export function generateSessionId(): string {
  return randomBytes(16).toString('base64url');
}

/** The stored form of a user agent: 16 hex digits of its SHA-256 (keeps the hash in listpack encoding). */
function userAgentDigest(userAgent: string | null): string {
  return createHash('sha256')
    .update(userAgent ?? '')
    .digest('hex')
    .slice(0, 16);
}

/** What {@link createSession} needs to know. */
export interface NewSession {
  sessionId: string;
  user: { id: string; username: string; roles: string[] };
  client: ClientInfo;
  createdAt: number;
  ttlSeconds: number;
  idleTimeoutSeconds: number;
  /** How the user authenticated (RFC 8176): `['pwd']` (the default), `['pwd', 'otp']`, ... */
  amr?: string[];
}

/**
 * Writes `session:{sid}` with its TTL, adds the sid to `user_sessions:{userId}`
 * (scored by the session's end, dropping the ids of ended ones) and appends
 * `auth.login.succeeded`, all in one script: there is never a session without
 * its event, nor an event without its session.
 */
export async function createSession(redis: RedisContext, session: NewSession): Promise<SessionHash> {
  const hash: SessionHash = {
    userId: session.user.id,
    username: session.user.username,
    roles: session.user.roles.join(','),
    createdAt: String(session.createdAt),
    expiresAt: String(session.createdAt + session.ttlSeconds),
    ip: session.client.ip,
    ua: userAgentDigest(session.client.userAgent),
  };
  const fields = sessionHashFields(hash);
  fields.push(SESSION_AMR_FIELD, (session.amr ?? ['pwd']).join(','), SESSION_AUTH_TIME_FIELD, hash.createdAt);
  if (session.idleTimeoutSeconds > 0) fields.push(SESSION_LAST_SEEN_FIELD, hash.createdAt);
  const event = eventJson({
    type: 'auth.login.succeeded',
    subject: session.user.id,
    username: session.user.username,
    sessionId: session.sessionId,
    ...clientFields(session.client),
  });
  await redis.run(
    'ghCreateSession',
    [sessionKey(session.sessionId), userSessionsKey(session.user.id), AUTH_EVENTS_STREAM],
    [session.ttlSeconds, session.sessionId, session.createdAt, EVENT_FIELD, event, ...fields],
  );
  return hash;
}

/** A stored session with its id, how and when the user authenticated, and (idle timeout on) its last use. */
export interface StoredSession extends SessionHash {
  sessionId: string;
  amr: string[];
  /** Epoch seconds of the last factor proved (the creation for a session from before the field). */
  authTime: number;
  lastSeenAt?: number;
}

/** A session from its `HGETALL` reply; `null` when it is gone or not a session. */
export function toStored(sessionId: string, raw: Record<string, string>): StoredSession | null {
  const hash = parseSessionHash(raw);
  if (hash === null) return null;
  const lastSeen = raw[SESSION_LAST_SEEN_FIELD];
  return {
    ...hash,
    sessionId,
    amr: parseAmr(raw[SESSION_AMR_FIELD]),
    authTime: Number(raw[SESSION_AUTH_TIME_FIELD] ?? hash.createdAt),
    ...(lastSeen === undefined ? {} : { lastSeenAt: Number(lastSeen) }),
  };
}

/** Reads one session; null when it does not exist (ended, revoked or never was). */
export async function readSession(redis: RedisContext, sessionId: string): Promise<StoredSession | null> {
  const raw = await unavailableOnError(() => redis.redis.hgetall(sessionKey(sessionId)));
  return toStored(sessionId, raw);
}

/** Lists the live sessions of a user, dropping ids whose session has ended from the index. */
export async function listSessions(redis: RedisContext, userId: string): Promise<StoredSession[]> {
  const index = userSessionsKey(userId);
  const ids = await unavailableOnError(() => redis.redis.zrange(index, 0, -1));
  if (ids.length === 0) return [];
  const pipeline = redis.redis.pipeline();
  for (const id of ids) pipeline.hgetall(sessionKey(id));
  const replies = (await unavailableOnError(() => pipeline.exec())) ?? [];
  const sessions = ids.map((id, i) => toStored(id, (replies[i]?.[1] ?? {}) as Record<string, string>));
  const ended = ids.filter((_, i) => sessions[i] === null);
  // Ids of sessions that expired are only index garbage; removing them is safe to replay.
  if (ended.length > 0) await unavailableOnError(() => redis.redis.zrem(index, ...ended));
  return sessions
    .filter((s): s is StoredSession => s !== null)
    .sort((a, b) => Number(a.createdAt) - Number(b.createdAt));
}

/**
 * Who ended another user's sessions, recorded as the extra envelope field
 * `actor` (audit stores it in `extra`): an auditor through the admin route
 * (their user and session), or an operator with the CLI (`cli:<login>`).
 */
export interface RevocationActor {
  userId: string | null;
  username: string | null;
  sessionId: string | null;
}

/** The reason every revocation by an auditor or an operator carries. */
export const ADMIN_REVOKED = 'admin_revoked';

/** How a revocation is published. */
export interface RevocationOptions {
  reason: string;
  client?: ClientInfo;
  /** Someone other than the user: the event carries `actor`, and one session's end is `auth.sessions.revoked`. */
  actor?: RevocationActor;
  source?: string;
}

function revocationEvent(
  type: 'auth.logout' | 'auth.sessions.revoked',
  user: { id: string; username: string | null },
  sessionId: string | null,
  options: RevocationOptions,
): string {
  const input = {
    type,
    subject: user.id,
    username: user.username,
    sessionId,
    reason: options.reason,
    ...clientFields(options.client),
    ...(options.source ? { source: options.source } : {}),
  };
  return eventJson(input, options.actor ? { actor: options.actor } : {});
}

/**
 * Deletes one session and appends its event in one script: `auth.logout`
 * when the user ended it (default reason `user_logout`), else
 * `auth.sessions.revoked` with the `actor`. Idempotent: returns 0 (and
 * publishes nothing) when the session is already gone.
 */
export async function revokeSession(
  redis: RedisContext,
  session: Pick<StoredSession, 'sessionId' | 'userId' | 'username'>,
  options: Partial<RevocationOptions> = {},
): Promise<number> {
  const type = options.actor ? 'auth.sessions.revoked' : 'auth.logout';
  const user = { id: session.userId, username: session.username };
  const event = revocationEvent(type, user, session.sessionId, { reason: 'user_logout', ...options });
  const keys = [sessionKey(session.sessionId), userSessionsKey(session.userId), AUTH_EVENTS_STREAM];
  return Number(await redis.run('ghRevokeSession', keys, [session.sessionId, EVENT_FIELD, event]));
}

/**
 * Deletes every session of a user and appends one `auth.sessions.revoked`
 * (with `actor` when given; published even when none was live: the attempt
 * is audited too), atomically (a login racing with it either lands before
 * and is revoked, or after). `sessionId` is the session that asked, if any.
 * Returns the number of sessions removed.
 */
export async function revokeAllSessions(
  redis: RedisContext,
  user: { id: string; username: string | null },
  options: RevocationOptions & { sessionId?: string },
): Promise<number> {
  const event = revocationEvent('auth.sessions.revoked', user, options.sessionId ?? null, options);
  const keys = [userSessionsKey(user.id), AUTH_EVENTS_STREAM];
  return Number(await redis.run('ghRevokeAll', keys, [SESSION_KEY_PREFIX, EVENT_FIELD, event]));
}

/** The owner's view of a session. */
export function toSessionView(session: StoredSession, currentSessionId: string | null): SessionView {
  return {
    sessionId: session.sessionId,
    userId: session.userId,
    username: session.username,
    roles: parseRoles(session.roles),
    createdAt: new Date(Number(session.createdAt) * 1000).toISOString(),
    expiresAt: new Date(Number(session.expiresAt) * 1000).toISOString(),
    ip: session.ip,
    current: session.sessionId === currentSessionId,
  };
}
