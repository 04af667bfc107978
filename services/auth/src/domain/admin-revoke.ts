import {
  AUTH_EVENTS_STREAM,
  createAuthEvent,
  EVENT_FIELD,
  SESSION_KEY_PREFIX,
  sessionKey,
  userSessionsKey,
} from '@gatehouse/contracts';
import type { Pool } from '@gatehouse/runtime';
import { type RedisContext, unavailableOnError } from '../redis/context.js';
import { type ClientInfo, clientFields, EVENT_SOURCE } from './client.js';
import { readSession } from './sessions.js';

/** Who revoked, recorded as the extra envelope field `actor` (stored by audit in `extra`). */
export interface RevocationActor {
  userId: string;
  username: string | null;
  sessionId: string;
}

/** The reason every revocation by an administrator carries. */
const ADMIN_REVOKED = 'admin_revoked';

function revokedEvent(
  user: { id: string; username: string | null },
  sessionId: string | null,
  actor: RevocationActor,
  client: ClientInfo,
): string {
  const envelope = createAuthEvent({
    type: 'auth.sessions.revoked',
    source: EVENT_SOURCE,
    subject: user.id,
    username: user.username,
    sessionId,
    reason: ADMIN_REVOKED,
    ...clientFields(client),
  });
  return JSON.stringify({ ...envelope, actor });
}

/**
 * Revokes one session of `userId` for an administrator: DEL of the session,
 * its index entry and an `auth.sessions.revoked` (reason `admin_revoked`,
 * with `actor`) in one script. Returns 0 and publishes nothing when the
 * session is gone or belongs to another user.
 */
export async function adminRevokeSession(
  redis: RedisContext,
  target: { userId: string; sessionId: string },
  actor: RevocationActor,
  client: ClientInfo,
): Promise<number> {
  const session = await readSession(redis, target.sessionId);
  if (!session || session.userId !== target.userId) return 0;
  const event = revokedEvent({ id: session.userId, username: session.username }, target.sessionId, actor, client);
  const keys = [sessionKey(target.sessionId), userSessionsKey(target.userId), AUTH_EVENTS_STREAM];
  return Number(await redis.run('ghRevokeSession', keys, [target.sessionId, EVENT_FIELD, event]));
}

/**
 * Revokes every session of a user for an administrator, atomically with one
 * `auth.sessions.revoked` (published even when none was live: the attempt is
 * audited too). Returns the number removed, or null for an unknown user.
 */
export async function adminRevokeAllSessions(
  redis: RedisContext,
  pool: Pool,
  userId: string,
  actor: RevocationActor,
  client: ClientInfo,
): Promise<number | null> {
  const { rows } = await unavailableOnError(() =>
    pool.query<{ username: string }>('SELECT username FROM users WHERE id = $1', [userId]),
  );
  if (!rows[0]) return null;
  const event = revokedEvent({ id: userId, username: rows[0].username }, null, actor, client);
  const keys = [userSessionsKey(userId), AUTH_EVENTS_STREAM];
  return Number(await redis.run('ghRevokeAll', keys, [SESSION_KEY_PREFIX, EVENT_FIELD, event]));
}
