import { commaList, type Pool } from '@gatehouse/runtime';
import type { AuthDeps } from './app.js';
import type { AuthConfig } from './config.js';
import type { AuthenticateDeps } from './domain/authenticate.js';
import type { KeyRing } from './domain/keys.js';
import type { LoginDeps } from './domain/login.js';
import { createTokenVerifier, type TokenVerifier } from './domain/tokens.js';
import { createRedisContext, type RedisContext } from './redis/context.js';

/** The slices the route plugins pass on to the domain functions. */
export interface AuthContext {
  config: AuthConfig;
  pool: Pool;
  keys: KeyRing;
  redis: RedisContext;
  verifyToken: TokenVerifier;
  login: LoginDeps;
  authenticate: AuthenticateDeps;
  now: () => number;
}

/** Builds the {@link AuthContext} once per app. */
export function createAuthContext(deps: AuthDeps): AuthContext {
  const { config } = deps;
  const redis = createRedisContext(deps.redis, {
    commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
    waitReplicas: config.REDIS_WAIT_REPLICAS,
    leaseMs: config.SESSION_CACHE_LEASE_MS,
    ...(deps.subscriber ? { subscriber: deps.subscriber } : {}),
    logger: deps.logger,
  });
  const audience = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
  const verifyToken = createTokenVerifier(deps.keys, audience);
  const now = deps.now ?? Date.now;
  return {
    config,
    pool: deps.pool,
    keys: deps.keys,
    redis,
    verifyToken,
    now,
    login: {
      redis,
      pool: deps.pool,
      keys: deps.keys,
      audience,
      limits: {
        maxAttempts: config.LOGIN_MAX_ATTEMPTS,
        windowSeconds: config.LOGIN_WINDOW_SECONDS,
        maxAttemptsPerIp: config.LOGIN_MAX_ATTEMPTS_PER_IP,
        maxFailures: config.LOGIN_MAX_FAILURES,
        failureWindowSeconds: config.LOGIN_FAILURE_WINDOW_SECONDS,
      },
      sessionTtlSeconds: config.SESSION_TTL_SECONDS,
      idleTimeoutSeconds: config.SESSION_IDLE_TIMEOUT_SECONDS,
      now,
      mfa: {
        pool: deps.pool,
        redis,
        box: deps.secrets,
        issuer: config.MFA_ISSUER,
        challenge: { ttlSeconds: config.MFA_CHALLENGE_TTL_SECONDS, maxAttempts: config.MFA_CHALLENGE_MAX_ATTEMPTS },
        freshSeconds: config.MFA_FRESH_SECONDS,
        webauthn: {
          rpId: config.WEBAUTHN_RP_ID,
          rpName: config.WEBAUTHN_RP_NAME,
          origins: commaList(config.WEBAUTHN_ORIGINS),
        },
      },
    },
    authenticate: { verifyToken, redis, idleTimeoutSeconds: config.SESSION_IDLE_TIMEOUT_SECONDS, now },
  };
}
