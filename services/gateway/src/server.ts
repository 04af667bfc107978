import { setFlagsFromString } from 'node:v8';
import { closeRedis, createLogger, createRedis, loadEd25519Key, redisTarget, runServer } from '@gatehouse/runtime';
import { buildApp } from './app.js';
import { loadServiceConfig } from './config.js';

// V8 moves an allocation site to old space once the objects it makes outlive a
// few scavenges. Logins pass through the gateway and wait tens of ms on argon2, so
// the proxy's per-request sites got pretenured, and from then on every request's
// garbage went to old space: 25% more CPU per proxied request and twice the
// mark-compacts (docs/performance.md). A proxy's per-request objects die young.
setFlagsFromString('--no-allocation-site-pretenuring');

const config = loadServiceConfig(process.env);
const logger = createLogger({ service: 'gateway', level: config.LOG_LEVEL, format: config.LOG_FORMAT });
const redisOptions = {
  ...redisTarget(config),
  logger,
  name: 'gateway',
  commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
};
const redis = {
  sessions: createRedis({ ...redisOptions, purpose: 'sessions' }),
  invalidations: createRedis({ ...redisOptions, role: 'subscriber', purpose: 'invalidations' }),
  rateLimit: createRedis({ ...redisOptions, purpose: 'ratelimit' }),
};
// No auto-pipelining on any connection: ioredis sends the next auto-pipeline only once the one in
// flight has answered, so behind a stalled Redis each batch of requests waited for the previous
// batch's timeout too (a 503 took twice REDIS_COMMAND_TIMEOUT_MS; docs/performance.md).
const closeClients = async () => {
  await Promise.all(Object.values(redis).map((client) => closeRedis(client)));
};

await runServer({
  build: async () => {
    const assertionKeys = await loadEd25519Key(config.ASSERTION_KEY_FILE, { generate: config.ASSERTION_GENERATE_KEY });
    return await buildApp({ config, logger, redis, assertionKeys, closeClients });
  },
  closeClients,
  logger,
  host: config.HOST,
  port: config.PORT,
});
