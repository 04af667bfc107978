import { closeRedis, createLogger, createPool, createRedis, redisTarget, runServer, Startup } from '@gatehouse/runtime';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { loadServiceConfig, publicKeyFiles } from './config.js';
import { loadKeyRing } from './domain/keys.js';
import { loadSecretBox } from './domain/mfa/secret-box.js';
import { migrateAuth } from './migrate.js';

const config = loadServiceConfig(process.env);
const logger = createLogger({ service: 'auth', level: config.LOG_LEVEL, format: config.LOG_FORMAT });
const pool = createPool({ url: config.DATABASE_URL, logger, name: 'auth' });
const redis = createRedis({
  ...redisTarget(config),
  logger,
  name: 'auth',
  commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
});

try {
  const keys = await loadKeyRing({
    privateKeyFile: config.JWT_PRIVATE_KEY_FILE,
    publicKeyFiles: publicKeyFiles(config),
    generate: config.JWT_GENERATE_KEY,
  });
  logger.info({ kid: keys.kid, published: keys.jwks.keys.length }, 'signing key loaded');
  const secrets = await loadSecretBox(config.MFA_KEY_FILE, { generate: config.MFA_GENERATE_KEY });
  // PostgreSQL is a start-up step, retried after listening (live, not ready until it answers);
  // Redis needs none: the `redis` readiness check waits for it.
  const startup = new Startup({ logger });
  startup.add('postgres migrations', async () => {
    const applied = await migrateAuth(pool);
    if (applied.length > 0) logger.info({ versions: applied }, 'migrations applied');
  });
  const app = buildApp({ config, logger, redis, pool, keys, startup, secrets });
  app.addHook('onClose', async () => {
    await closeRedis(redis);
    await pool.end();
  });
  // runServer is typed for a plain Fastify instance; ours only adds the TypeBox type provider and pino's logger type.
  await runServer({ app: app as unknown as FastifyInstance, logger, host: config.HOST, port: config.PORT });
} catch (err) {
  logger.fatal({ err }, 'auth failed to start');
  await closeRedis(redis);
  await pool.end();
  process.exit(1);
}
