export {
  bearerToken,
  insufficientUserAuthentication,
  invalidToken,
  verifyAccessToken,
} from './access-token.js';
export type { BaseApp, RegisteredRoute } from './app.js';
export { createBaseApp, registeredRoutes } from './app.js';
export { CommonEnv, ConfigError, commaList, Integer, loadConfig, Port } from './config.js';

export { default as healthPlugin } from './health.js';
export type { Ed25519KeyPair } from './keys.js';
export { loadEd25519Key, loadEd25519PublicKey } from './keys.js';
export type { Logger } from './logger.js';
export { createLogger, REDACT_PATHS } from './logger.js';
export { default as metricsPlugin } from './metrics.js';
export { migrate } from './migrate.js';
export { default as openapiPlugin } from './openapi.js';
export type { Pool, PoolClient } from './postgres.js';
export { createPool } from './postgres.js';
export type { Redis } from './redis.js';
export { closeRedis, createRedis, describeRedisTarget, parseSentinels, redisTarget, waitForRedis } from './redis.js';

export { runServer } from './server.js';

export { countSessions } from './session-count.js';

export { Startup } from './startup.js';
export type { GroupHealth, StreamHealth } from './stream-health.js';
export { readStreamHealth } from './stream-health.js';
export { activeTraceparent, withLinkedSpan } from './tracing.js';
export { parseTrustProxy, TrustProxyEnv } from './trust-proxy.js';
