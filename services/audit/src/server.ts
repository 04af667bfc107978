import {
  closeRedis,
  createLogger,
  createPool,
  createRedis,
  loadEd25519Key,
  redisTarget,
  runServer,
  Startup,
} from '@gatehouse/runtime';
import { buildApp, roles } from './app.js';
import { loadServiceConfig } from './config.js';
import { migrateAudit } from './migrate.js';

const config = loadServiceConfig(process.env);
const role = roles(config);
const logger = createLogger({ service: 'audit', level: config.LOG_LEVEL, format: config.LOG_FORMAT });
const pool = createPool({ url: config.DATABASE_URL, logger, name: 'audit', max: config.DATABASE_POOL_MAX });
// Queries and exports read a replica when one is configured; the consumer and every write use the primary.
const readPool = config.AUDIT_READ_DATABASE_URL
  ? createPool({ url: config.AUDIT_READ_DATABASE_URL, logger, name: 'audit-read', max: config.DATABASE_POOL_MAX })
  : undefined;
const redisOptions = { ...redisTarget(config), logger, name: 'audit' };
const redis = createRedis({ ...redisOptions, commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS });
const blocking = role.consume ? createRedis({ ...redisOptions, role: 'blocking' }) : undefined;
const workerRedis = role.workers ? createRedis({ ...redisOptions, role: 'worker' }) : undefined;
// Every call to PostgreSQL or Redis before the service is ready is a start-up step, retried after
// listening: a slow or absent dependency makes audit wait (live, not ready), never exit.
const startup = new Startup({ logger, maxDelayMs: config.AUDIT_RETRY_MAX_MS });
startup.add('postgres migrations', async () => {
  const applied = await migrateAudit(pool);
  if (applied.length > 0) logger.info({ versions: applied }, 'migrations applied');
});

const closeClients = async () => {
  await Promise.all([redis, blocking, workerRedis].map((r) => (r ? closeRedis(r) : undefined)));
  await Promise.all([pool.end(), readPool?.end()]);
};
await runServer({
  build: async () => {
    const keys = await loadEd25519Key(config.AUDIT_DIGEST_KEY_FILE, { generate: config.AUDIT_GENERATE_KEY });
    return await buildApp({
      config,
      logger,
      redis,
      pool,
      ...(readPool ? { readPool } : {}),
      keys,
      closeClients,
      startup,
      ...(blocking ? { blocking } : {}),
      ...(workerRedis ? { workerRedis } : {}),
    });
  },
  closeClients,
  logger,
  host: config.HOST,
  port: config.PORT,
  graceMs: config.AUDIT_SHUTDOWN_GRACE_MS,
});
