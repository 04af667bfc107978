import { createBaseApp, type Ed25519KeyPair, healthPlugin, type Logger } from '@gatehouse/runtime';
import type { Redis } from 'ioredis';
import type { JWTVerifyGetKey } from 'jose';
import { type GatewayConfig, jwksUrl, parseMfaRequiredRoutes, parseUpstreams } from './config.js';
import { createAssertionSigner } from './domain/assertion-signer.js';
import { SessionReader } from './domain/session-reader.js';
import { createTokenVerifier, remoteKeys } from './domain/token-verifier.js';
import authenticationPlugin from './plugins/authentication.js';
import consolePlugin from './plugins/console.js';
import metricsPlugin from './plugins/metrics.js';
import protectionPlugin from './plugins/protection.js';
import jwksRoutes from './routes/jwks/index.js';
import proxyRoutes from './routes/proxy/index.js';
import verifyRoutes from './routes/verify/index.js';

/** The Redis connections of a gateway; each has one job. */
interface GatewayRedis {
  /** Reads sessions, with client tracking on. */
  sessions: Redis;
  /** Receives the invalidations for `sessions` (subscriber mode). */
  invalidations: Redis;
  /** The rate limiter's counters, and the idle timeout's last-use stamps. */
  rateLimit: Redis;
}

/** Everything {@link buildApp} needs. */
export interface GatewayDeps {
  config: GatewayConfig;
  logger: Logger;
  redis: GatewayRedis;
  /** Signing keys; defaults to the remote JWKS at `JWKS_URL`. */
  keys?: JWTVerifyGetKey;
  /** The gateway's own key: it signs the identity assertions upstreams verify. */
  assertionKeys: Ed25519KeyPair;
  /** Closes the clients, after every other `onClose` hook (see `createBaseApp`). */
  closeClients?: () => Promise<void>;
}

/** Identity assertions kept, one per (session, route). */
const ASSERTION_CACHE_SIZE = 100_000;

/**
 * Builds the gateway app (never listens): protection (helmet, rate limit) →
 * health → authentication → forward-auth → the assertion JWKS → proxy routes.
 *
 * @example
 * ```ts
 * const app = await buildApp({ config, logger, redis: { sessions, invalidations, rateLimit }, assertionKeys });
 * ```
 */
export async function buildApp(deps: GatewayDeps) {
  const { config, logger, redis } = deps;
  const app = createBaseApp({
    logger,
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    requestIdHeader: false,
    ...(deps.closeClients ? { closeClients: deps.closeClients } : {}),
  });
  const sessions = new SessionReader({
    reader: redis.sessions,
    subscriber: redis.invalidations,
    logger,
    cacheSize: config.SESSION_CACHE_SIZE,
    leaseMs: config.SESSION_CACHE_LEASE_MS,
    heartbeatMs: config.SESSION_HEARTBEAT_MS,
    idleTimeoutSeconds: config.SESSION_IDLE_TIMEOUT_SECONDS,
    writer: redis.rateLimit,
  });
  const verifyToken = createTokenVerifier({
    keys: deps.keys ?? remoteKeys(jwksUrl(config), config.JWKS_COOLDOWN_MS),
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    cacheSize: config.TOKEN_CACHE_SIZE,
  });
  const signer = await createAssertionSigner({ keys: deps.assertionKeys, cacheSize: ASSERTION_CACHE_SIZE });
  app.addHook('onClose', async () => sessions.close());

  await app.register(metricsPlugin);
  await app.register(protectionPlugin, {
    redis: redis.rateLimit,
    max: config.RATE_LIMIT_MAX,
    windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS,
    mode: config.RATE_LIMIT_MODE,
    syncMs: config.RATE_LIMIT_SYNC_MS,
    logger,
  });
  await app.register(healthPlugin, {
    checks: {
      redis: async () => {
        await redis.sessions.ping();
        return { sessionCache: sessions.isCaching ? 'tracking' : 'direct' };
      },
    },
  });
  await app.register(consolePlugin);
  await app.register(authenticationPlugin, {
    verifyToken,
    lookupSession: (sid, budgetMs) => sessions.get(sid, budgetMs),
    redisDeadlineMs: config.REDIS_COMMAND_TIMEOUT_MS,
  });
  await app.register(verifyRoutes);
  await app.register(jwksRoutes, { signer });
  const upstreams = parseUpstreams(config.UPSTREAMS);
  await app.register(proxyRoutes, {
    authOrigin: new URL(config.AUTH_URL).origin,
    auditOrigin: new URL(config.AUDIT_URL).origin,
    upstreams,
    mfaRequired: parseMfaRequiredRoutes(config.MFA_REQUIRED_ROUTES, upstreams),
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    connections: config.UPSTREAM_CONNECTIONS,
    bodyLimit: config.BODY_LIMIT_BYTES,
    signer,
  });
  return app;
}

/** A gateway app. */
export type GatewayApp = Awaited<ReturnType<typeof buildApp>>;
