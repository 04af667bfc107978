import type { Logger, Pool, Redis, Startup } from '@gatehouse/runtime';
import type { AuthConfig } from './config.js';
import type { AuthenticateDeps } from './domain/authenticate.js';
import type { KeyRing } from './domain/keys.js';
import type { LoginDeps } from './domain/login.js';
import type { SecretBox } from './domain/mfa/secret-box.js';
import { createTokenVerifier, type TokenVerifier } from './domain/tokens.js';
import { createRedisContext, type RedisContext } from './redis/context.js';

/** What `buildApp` is given: config, the root logger, clients and keys. */
export interface AuthAppDeps {
  config: AuthConfig;
  logger: Logger;
  redis: Redis;
  pool: Pool;
  keys: KeyRing;
  /** Start-up steps (server.ts: migrations), reported by `/readyz` until done. */
  startup?: Startup;
  /** Seals second-factor secrets (`MFA_KEY_FILE`). */
  secrets: SecretBox;
  /** Milliseconds since the epoch for session stamps and the idle timeout; `Date.now` by default (tests move it). */
  now?: () => number;
}

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
export function createAuthContext(deps: AuthAppDeps): AuthContext {
  const { config } = deps;
  const redis = createRedisContext(deps.redis, config.REDIS_COMMAND_TIMEOUT_MS, config.REDIS_WAIT_REPLICAS);
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
          origins: config.WEBAUTHN_ORIGINS.split(',')
            .map((o) => o.trim())
            .filter((o) => o !== ''),
        },
      },
    },
    authenticate: { verifyToken, redis, idleTimeoutSeconds: config.SESSION_IDLE_TIMEOUT_SECONDS, now },
  };
}
