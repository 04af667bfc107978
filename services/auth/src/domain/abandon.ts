import { GatehouseError } from '@gatehouse/contracts';
import type { RedisContext } from '../redis/context.js';
import type { ClientInfo } from './client.js';
import { revokeSession } from './sessions.js';

const RETRY_MS = 500;

/**
 * Cleans up after a session write that timed out. The deadline stops a write
 * that was still queued, but Redis may have applied the script and been
 * stopped before its reply left: that session was never handed out, so it is
 * deleted (with `auth.logout`, reason `login_aborted`, beside its
 * `auth.login.succeeded`) as soon as Redis answers again. Deleting is safe to
 * repeat; when the write never happened this does nothing and publishes nothing.
 */
export function abandonSession(
  redis: RedisContext,
  session: { sessionId: string; userId: string; username: string },
  client: ClientInfo,
  ttlSeconds: number,
): Promise<void> {
  const giveUpAt = Date.now() + ttlSeconds * 1000;
  const attempt = async (): Promise<void> => {
    try {
      await revokeSession(redis, session, { reason: 'login_aborted', client });
    } catch (err) {
      const retryable = err instanceof GatehouseError && err.code === 'dependency_unavailable';
      if (!retryable || redis.redis.status === 'end' || Date.now() > giveUpAt) return;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref());
      await attempt();
    }
  };
  return attempt();
}
