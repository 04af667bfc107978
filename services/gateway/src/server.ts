import { setFlagsFromString } from 'node:v8';
import { closeRedis, createLogger, createRedis, loadEd25519Key, redisTarget, runServer } from '@gatehouse/runtime';
import type { FastifyInstance } from 'fastify';
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
const redisOptions = { ...redisTarget(config), logger, commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS };
const redis = {
  sessions: createRedis({ ...redisOptions, name: 'gateway-sessions' }),
  invalidations: createRedis({ ...redisOptions, name: 'gateway-invalidations', role: 'subscriber' }),
  rateLimit: createRedis({ ...redisOptions, name: 'gateway-ratelimit' }),
};
// No auto-pipelining on any connection: ioredis sends the next auto-pipeline only once the one in
// flight has answered, so behind a stalled Redis each batch of requests waited for the previous
// batch's timeout too (a 503 took twice REDIS_COMMAND_TIMEOUT_MS; docs/performance.md).
const assertionKeys = await loadEd25519Key(config.ASSERTION_KEY_FILE, { generate: config.ASSERTION_GENERATE_KEY });
const app = await buildApp({ config, logger, redis, assertionKeys });
app.addHook('onClose', async () => {
  await Promise.all(Object.values(redis).map((client) => closeRedis(client)));
});
await runServer({ app: app as unknown as FastifyInstance, logger, host: config.HOST, port: config.PORT });
