import type { RedisContext } from '@gatehouse/auth';
import { ConfigSchema as AuthConfigSchema } from '@gatehouse/auth/config';
import {
  CommonEnv,
  closeRedis,
  createLogger,
  createPool,
  createRedis,
  describeRedisTarget,
  loadConfig,
  type Pool,
  type Redis,
  redisTarget,
  waitForRedis,
} from '@gatehouse/runtime';
import { Type } from '@sinclair/typebox';
import { CliError, EXIT } from './errors.js';

/** The variables the CLI reads. */
const CliEnvSchema = Type.Object({
  DATABASE_URL: Type.String({ default: '' }),
  REDIS_URL: CommonEnv.REDIS_URL,
  REDIS_SENTINELS: CommonEnv.REDIS_SENTINELS,
  REDIS_SENTINEL_NAME: CommonEnv.REDIS_SENTINEL_NAME,
  REDIS_SENTINEL_PASSWORD: CommonEnv.REDIS_SENTINEL_PASSWORD,
  REDIS_WAIT_REPLICAS: AuthConfigSchema.properties.REDIS_WAIT_REPLICAS,
  SESSION_CACHE_LEASE_MS: AuthConfigSchema.properties.SESSION_CACHE_LEASE_MS,
  REDIS_COMMAND_TIMEOUT_MS: CommonEnv.REDIS_COMMAND_TIMEOUT_MS,
  AUDIT_DIGEST_KEY_FILE: Type.String({ minLength: 1, default: '.gatehouse/keys/audit-digest.pem' }),
});

/** Lazily opened clients; a command uses only what it needs. */
export interface CliContext {
  /** The validated environment. */
  env: Readonly<{ DATABASE_URL: string; REDIS_URL: string; AUDIT_DIGEST_KEY_FILE: string }>;
  /** PostgreSQL, with auth's migrations applied on first use (`applied`: the versions this run applied). */
  database(): Promise<{ pool: Pool; applied: number[] }>;
  /** PostgreSQL as it is (no migrations), for commands that only read (audit verify). */
  pool(): Promise<Pool>;
  /** Redis with auth's scripts and clock, for the commands that call auth's operations. */
  redis(): Promise<RedisContext>;
  /** The same command connection alone, for commands that only read Redis (auth's code is not loaded). */
  redisClient(): Promise<Redis>;
  /** A connection of its own for blocking reads (XREAD BLOCK); closed with the context. */
  blockingRedis(): Promise<Redis>;
  close(): Promise<void>;
}

/** Reads the environment and opens PostgreSQL and Redis on first use. */
export function createCliContext(env: NodeJS.ProcessEnv): CliContext {
  const config = loadConfig(CliEnvSchema, env);
  // Every failure reaches the person as a CliError message; client logs would only add noise to stdout.
  const logger = createLogger({ service: 'cli', level: 'silent', format: 'json' });
  let pool: Pool | undefined;
  let database: Promise<{ pool: Pool; applied: number[] }> | undefined;
  const clients: Redis[] = [];
  let command: Promise<Redis> | undefined;
  let redisContext: RedisContext | undefined;
  const openPool = () => {
    if (config.DATABASE_URL === '') {
      throw new CliError('DATABASE_URL is required for this command.', EXIT.usage);
    }
    pool ??= createPool({ url: config.DATABASE_URL, logger, name: 'cli', max: 2 });
    return pool;
  };
  const connect = async (role: 'command' | 'blocking' | 'subscriber') => {
    const redis = createRedis({
      ...redisTarget(config),
      logger,
      name: 'cli',
      role,
      commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
    });
    clients.push(redis);
    await waitForRedis(redis, 2000).catch(() => {
      throw new CliError(`Cannot reach Redis at ${describeRedisTarget(redisTarget(config))}.`);
    });
    return redis;
  };
  return {
    env: config,
    database: () => {
      if (database) return database;
      let opened: Pool;
      try {
        opened = openPool();
      } catch (err) {
        return Promise.reject(err);
      }
      database = import('@gatehouse/auth').then(({ migrateAuth }) =>
        migrateAuth(opened).then(
          (applied) => ({ pool: opened, applied }),
          (err: Error) => {
            throw new CliError(`Cannot use PostgreSQL at DATABASE_URL: ${err.message}`);
          },
        ),
      );
      return database;
    },
    pool: async () => {
      const opened = openPool();
      await opened.query('SELECT 1').catch((err: Error) => {
        throw new CliError(`Cannot use PostgreSQL at DATABASE_URL: ${err.message}`);
      });
      return opened;
    },
    redisClient: () => {
      command ??= connect('command');
      return command;
    },
    redis: async () => {
      if (redisContext) return redisContext;
      command ??= connect('command');
      const [redis, { createRedisContext }] = await Promise.all([command, import('@gatehouse/auth')]);
      redisContext = createRedisContext(redis, {
        commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
        waitReplicas: config.REDIS_WAIT_REPLICAS,
        leaseMs: config.SESSION_CACHE_LEASE_MS,
        subscriber: await connect('subscriber'),
      });
      await redisContext.clock.measure(redis);
      return redisContext;
    },
    blockingRedis: () => connect('blocking'),
    close: async () => {
      await Promise.all(clients.map((c) => closeRedis(c)));
      if (pool) await pool.end();
    },
  };
}
