import type { Pool } from '@gatehouse/runtime';
import type { RedisContext } from '../redis/context.js';
import { unavailableOnError } from '../redis/context.js';
import type { ClientInfo } from './client.js';
import { ADMIN_REVOKED, type RevocationActor, readSession, revokeAllSessions, revokeSession } from './sessions.js';

/**
 * An auditor revokes one session of `userId` ({@link revokeSession} with the
 * actor). Returns 0 and publishes nothing when the session is gone or
 * belongs to another user.
 */
export async function adminRevokeSession(
  redis: RedisContext,
  target: { userId: string; sessionId: string },
  actor: RevocationActor,
  client: ClientInfo,
): Promise<number> {
  const session = await readSession(redis, target.sessionId);
  if (!session || session.userId !== target.userId) return 0;
  return await revokeSession(redis, session, { reason: ADMIN_REVOKED, actor, client });
}

/**
 * An auditor revokes every session of a user ({@link revokeAllSessions}
 * with the actor). Returns the number removed, or null for an unknown user.
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
  return await revokeAllSessions(
    redis,
    { id: userId, username: rows[0].username },
    { reason: ADMIN_REVOKED, actor, client },
  );
}
