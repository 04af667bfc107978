export {
  bearerChallenge,
  bearerToken,
  INVALID_TOKEN_CHALLENGE,
  insufficientUserAuthentication,
  invalidToken,
  verifyAccessToken,
} from './access-token.js';
export type { BaseApp, BaseAppOptions, RegisteredRoute } from './app.js';
export { createBaseApp, registeredRoutes } from './app.js';
export { CommonEnv, ConfigError, commaList, Integer, loadConfig, Port } from './config.js';
export { default as errorHandlerPlugin, toErrorReply } from './error-handler.js';
export type { HealthOptions, ReadinessCheck } from './health.js';
export { default as healthPlugin } from './health.js';
export type { Ed25519KeyPair } from './keys.js';
export { loadEd25519Key, loadEd25519PublicKey } from './keys.js';
export type { Logger, LoggerOptions } from './logger.js';
export { createLogger, REDACT_PATHS, redactUrl } from './logger.js';
export type { MetricsOptions } from './metrics.js';
export { default as metricsPlugin, HTTP_DURATION_BUCKETS } from './metrics.js';
export { migrate } from './migrate.js';
export type { Pool, PoolClient } from './postgres.js';
export { createPool } from './postgres.js';
export type { CreateRedisOptions, Redis, RedisEnv, RedisRole, RedisTarget } from './redis.js';
export { closeRedis, createRedis, describeRedisTarget, parseSentinels, redisTarget, waitForRedis } from './redis.js';
export type { RunServerOptions, ServerApp } from './server.js';
export { runServer } from './server.js';
export type { SessionCount } from './session-count.js';
export { countSessions } from './session-count.js';
export type { StartupStatus, StartupStep } from './startup.js';
export { Startup } from './startup.js';
export type { GroupHealth, StreamHealth } from './stream-health.js';
export { readStreamHealth } from './stream-health.js';
export { activeLogIds, activeTraceparent, flushTraces, linksFrom, withLinkedSpan } from './tracing.js';
export { parseTrustProxy, TrustProxyEnv } from './trust-proxy.js';
