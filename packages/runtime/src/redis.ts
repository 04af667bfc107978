import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

/** What a connection is for; each role gets its own connection. */
type RedisRole = 'command' | 'blocking' | 'subscriber' | 'worker';

/**
 * Where Redis is: one server (`url`), or the primary of a Sentinel group.
 * With `sentinels` set, the URL's host and port are not used; its user,
 * password and database number still apply to the primary.
 */
export interface RedisTarget {
  url: string;
  /** `host:port,host:port,…` of the sentinels; empty or absent means one server at `url`. */
  sentinels?: string;
  /** The master group name the sentinels monitor. */
  sentinelName?: string;
  /** The sentinels' own password (`requirepass` on the sentinels), when they have one. */
  sentinelPassword?: string;
}

/** The common Redis variables of a service's config (see `CommonEnv`). */
export interface RedisEnv {
  REDIS_URL: string;
  REDIS_SENTINELS: string;
  REDIS_SENTINEL_NAME: string;
  REDIS_SENTINEL_PASSWORD: string;
}

/** Options of {@link createRedis}. */
export interface CreateRedisOptions extends RedisTarget {
  logger: Logger;
  /** The service (or tool) the connection belongs to: `auth`, `gateway`, `cli`. */
  name: string;
  role?: RedisRole;
  /** What the connection serves, when the service has two of one role (the gateway's `sessions`, `ratelimit`). */
  purpose?: string;
  commandTimeoutMs?: number;
}

/**
 * The {@link RedisTarget} a config names.
 *
 * @example
 * ```ts
 * const redis = createRedis({ ...redisTarget(config), logger, name: 'auth' });
 * ```
 */
export function redisTarget(env: Readonly<RedisEnv>): RedisTarget {
  return {
    url: env.REDIS_URL,
    sentinels: env.REDIS_SENTINELS,
    sentinelName: env.REDIS_SENTINEL_NAME,
    sentinelPassword: env.REDIS_SENTINEL_PASSWORD,
  };
}

/** Parses `host:port,[v6]:port,…` into ioredis' sentinel list. */
export function parseSentinels(list: string): { host: string; port: number }[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(s);
      const port = Number(match?.[2]);
      if (!match?.[1] || !(port > 0 && port < 65536)) throw new Error(`not a sentinel address (host:port): ${s}`);
      return { host: match[1], port };
    });
}

/** A short description of the target for messages: the URL without its password, or the sentinels. */
export function describeRedisTarget(target: RedisTarget): string {
  if (target.sentinels) return `sentinels ${target.sentinels} (master ${target.sentinelName})`;
  return target.url.replace(/:[^:@/]*@/, ':***@');
}

/**
 * Creates an ioredis client with an `error` listener and fail-fast settings.
 * Its `CLIENT SETNAME` says whose it is and its role:
 * `gatehouse-<name>-<role>[-<purpose>]` (`gatehouse-audit-blocking`,
 * `gatehouse-gateway-subscriber-invalidations`).
 *
 * A `command` connection never queues commands while disconnected and gives up
 * on a command after `commandTimeoutMs`, so a caller answers 503 instead of
 * hanging, and nothing is replayed later. `blocking` connections serve
 * XREADGROUP / BLOCK and have no command timeout; `worker` connections follow
 * BullMQ's rules (`maxRetriesPerRequest: null`).
 *
 * With sentinels, ioredis asks them for the primary on every (re)connection
 * and checks the server's role before it calls the connection ready. A
 * primary that is demoted while still reachable closes its clients' connections
 * itself (Sentinel sends it `CLIENT KILL TYPE normal` and `pubsub`), so they
 * reconnect to the new one. ioredis' `failoverDetector` is left off: when it
 * fires while a reconnection is resolving the primary, the client ends for
 * good ("Connection is closed"), seen in test/e2e/failover.test.ts.
 *
 * @example
 * ```ts
 * const redis = createRedis({ ...redisTarget(config), logger, name: 'auth' });
 * ```
 */
export function createRedis(options: CreateRedisOptions): Redis {
  const role = options.role ?? 'command';
  const failFast = role === 'command';
  const retryStrategy = (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000);
  const redisOptions: RedisOptions = {
    connectionName: ['gatehouse', options.name, role, options.purpose].filter(Boolean).join('-'),
    connectTimeout: 2000,
    retryStrategy,
    enableOfflineQueue: !failFast,
    maxRetriesPerRequest: failFast ? 0 : null,
    ...(failFast ? { commandTimeout: options.commandTimeoutMs ?? 1000 } : {}),
    ...(options.sentinels
      ? {
          sentinels: parseSentinels(options.sentinels),
          name: options.sentinelName ?? 'gatehouse',
          ...(options.sentinelPassword ? { sentinelPassword: options.sentinelPassword } : {}),
          sentinelRetryStrategy: retryStrategy,
          sentinelCommandTimeout: 1000,
        }
      : {}),
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
