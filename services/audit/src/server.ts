import {
  closeRedis,
  createLogger,
  createPool,
  createRedis,
  loadEd25519Key,
  redisTarget,
  runServer,
} from '@gatehouse/runtime';
import type { FastifyInstance } from 'fastify';
import { buildApp, roles } from './app.js';
import { loadServiceConfig } from './config.js';
import { migrateAudit } from './migrate.js';

const config = loadServiceConfig(process.env);
const role = roles(config);
const logger = createLogger({ service: 'audit', level: config.LOG_LEVEL, format: config.LOG_FORMAT });
const pool = createPool({ url: config.DATABASE_URL, logger, name: 'audit', max: config.DATABASE_POOL_MAX });
const redis = createRedis({
  ...redisTarget(config),
  logger,
  name: 'audit',
  commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
});
const blocking = role.consume
  ? createRedis({ ...redisTarget(config), logger, name: 'audit', role: 'blocking' })
  : undefined;
const workerRedis = role.workers
  ? createRedis({ ...redisTarget(config), logger, name: 'audit', role: 'worker' })
  : undefined;
const keys = await loadEd25519Key(config.AUDIT_DIGEST_KEY_FILE, { generate: config.AUDIT_GENERATE_KEY });
await migrateAudit(pool);

const closeClients = async () => {
  await Promise.all([redis, blocking, workerRedis].map((r) => (r ? closeRedis(r) : undefined)));
  await pool.end();
};
const app = await buildApp({
  config,
  logger,
  redis,
  pool,
  keys,
  closeClients,
  ...(blocking ? { blocking } : {}),
  ...(workerRedis ? { workerRedis } : {}),
});
// runServer takes the plain FastifyInstance type; the app's pino logger type is narrower.
await runServer({
  app: app as unknown as FastifyInstance,
  logger,
  host: config.HOST,
  port: config.PORT,
  graceMs: config.AUDIT_SHUTDOWN_GRACE_MS,
});
