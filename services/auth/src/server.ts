import { closeRedis, createLogger, createPool, createRedis, redisTarget, runServer, Startup } from '@gatehouse/runtime';
import { buildApp } from './app.js';
import { loadServiceConfig, publicKeyFiles } from './config.js';
import { loadKeyRing } from './domain/keys.js';
import { loadSecretBox } from './domain/mfa/secret-box.js';
import { migrateAuth } from './migrate.js';

const config = loadServiceConfig(process.env);
const logger = createLogger({ service: 'auth', level: config.LOG_LEVEL, format: config.LOG_FORMAT });
const pool = createPool({ url: config.DATABASE_URL, logger, name: 'auth' });
const redisOptions = {
  ...redisTarget(config),
  logger,
  name: 'auth',
  commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
};
const redis = createRedis(redisOptions);
const subscriber = createRedis({ ...redisOptions, role: 'subscriber', purpose: 'revocations' });
// PostgreSQL is a start-up step, retried after listening (live, not ready until it answers);
// Redis needs none: the `redis` readiness check waits for it.
const startup = new Startup({ logger });
startup.add('postgres migrations', async () => {
  const applied = await migrateAuth(pool);
  if (applied.length > 0) logger.info({ versions: applied }, 'migrations applied');
});
const closeClients = async () => {
  await Promise.all([closeRedis(redis), closeRedis(subscriber)]);
  await pool.end();
};

await runServer({
  build: async () => {
    const keys = await loadKeyRing({
      privateKeyFile: config.JWT_PRIVATE_KEY_FILE,
      publicKeyFiles: publicKeyFiles(config),
      generate: config.JWT_GENERATE_KEY,
    });
    logger.info({ kid: keys.kid, published: keys.jwks.keys.length }, 'signing key loaded');
    const secrets = await loadSecretBox(config.MFA_KEY_FILE, { generate: config.MFA_GENERATE_KEY });
    return await buildApp({ config, logger, redis, subscriber, pool, keys, startup, secrets, closeClients });
  },
  closeClients,
  logger,
  host: config.HOST,
  port: config.PORT,
});
