import { createRedisContext, migrateAuth, type RedisContext } from '@gatehouse/auth';
import {
  CommonEnv,
  closeRedis,
  createLogger,
  createPool,
  createRedis,
  loadConfig,
  type Pool,
  type Redis,
  waitForRedis,
} from '@gatehouse/runtime';
import { Type } from '@sinclair/typebox';
import { CliError } from './errors.js';

/** The variables the CLI reads. */
export const CliEnvSchema = Type.Object({
  DATABASE_URL: Type.String({ minLength: 1 }),
  REDIS_URL: CommonEnv.REDIS_URL,
  REDIS_COMMAND_TIMEOUT_MS: CommonEnv.REDIS_COMMAND_TIMEOUT_MS,
});

/** Lazily opened clients; a command uses only what it needs. */
export interface CliContext {
  /** PostgreSQL, with auth's migrations applied on first use (`applied`: the versions this run applied). */
  database(): Promise<{ pool: Pool; applied: number[] }>;
  redis(): Promise<RedisContext>;
  close(): Promise<void>;
}

/** Reads the environment and opens PostgreSQL (migrated) and Redis on first use. */
export function createCliContext(env: NodeJS.ProcessEnv): CliContext {
  const config = loadConfig(CliEnvSchema, env);
  // Every failure reaches the person as a CliError message; client logs would only add noise to stdout.
  const logger = createLogger({ service: 'cli', level: 'silent', format: 'json' });
  let pool: Pool | undefined;
  let database: Promise<{ pool: Pool; applied: number[] }> | undefined;
  let redis: Redis | undefined;
  let redisContext: RedisContext | undefined;
  return {
    database: () => {
      if (database) return database;
      const opened = createPool({ url: config.DATABASE_URL, logger, name: 'cli', max: 2 });
      pool = opened;
      database = migrateAuth(opened).then(
        (applied) => ({ pool: opened, applied }),
        (err: Error) => {
          throw new CliError(`Cannot use PostgreSQL at DATABASE_URL: ${err.message}`);
        },
      );
      return database;
    },
    redis: async () => {
      if (redisContext) return redisContext;
      redis = createRedis({
        url: config.REDIS_URL,
        logger,
        name: 'cli',
        commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
      });
      await waitForRedis(redis, 2000).catch(() => {
        throw new CliError(`Cannot reach Redis at REDIS_URL (${config.REDIS_URL}).`);
      });
      redisContext = createRedisContext(redis, config.REDIS_COMMAND_TIMEOUT_MS);
      await redisContext.clock.measure(redis);
      return redisContext;
    },
    close: async () => {
      if (redis) await closeRedis(redis);
      if (pool) await pool.end();
    },
  };
}
