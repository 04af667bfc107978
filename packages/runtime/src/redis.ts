import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

/** What a connection is for; each role gets its own connection. */
export type RedisRole = 'command' | 'blocking' | 'subscriber' | 'worker';

/** Options of {@link createRedis}. */
export interface CreateRedisOptions {
  url: string;
  logger: Logger;
  name: string;
  role?: RedisRole;
  commandTimeoutMs?: number;
}

/**
 * Creates an ioredis client with an `error` listener and fail-fast settings.
 *
 * A `command` connection never queues commands while disconnected and gives up
 * on a command after `commandTimeoutMs`, so a caller answers 503 instead of
 * hanging, and nothing is replayed later. `blocking` connections serve
 * XREADGROUP / BLOCK and have no command timeout; `worker` connections follow
 * BullMQ's rules (`maxRetriesPerRequest: null`).
 *
 * @example
 * ```ts
 * const redis = createRedis({ url: config.REDIS_URL, logger, name: 'auth' });
 * ```
 */
export function createRedis(options: CreateRedisOptions): Redis {
  const role = options.role ?? 'command';
  const failFast = role === 'command';
  const redisOptions: RedisOptions = {
    connectionName: `gatehouse-${options.name}-${role}`,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    enableOfflineQueue: !failFast,
    maxRetriesPerRequest: failFast ? 0 : null,
    ...(failFast ? { commandTimeout: options.commandTimeoutMs ?? 1000 } : {}),
  };
  const redis = new Redis(options.url, redisOptions);
  const log = options.logger.child({ redis: redisOptions.connectionName });
  let lastError = '';
  redis.on('error', (err: Error) => {
    // ioredis repeats the same error on every reconnect attempt; log changes only.
    if (err.message === lastError) return;
    lastError = err.message;
    log.warn({ err }, 'redis connection error');
  });
  redis.on('ready', () => {
    if (lastError !== '') log.info('redis connection restored');
    lastError = '';
  });
  return redis;
}

/** Resolves once the client is ready, or rejects after `timeoutMs`. */
export async function waitForRedis(redis: Redis, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`Redis not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}

/** Closes a client: QUIT when connected, disconnect otherwise. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status === 'ready') {
    await redis.quit().catch(() => redis.disconnect());
  } else {
    redis.disconnect();
  }
}

export type { Redis };
