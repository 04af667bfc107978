import {
  createBaseApp,
  healthPlugin,
  type Logger,
  openapiPlugin,
  type Pool,
  type Redis,
  type Startup,
} from '@gatehouse/runtime';
import type { AuthConfig } from './config.js';
import { createAuthContext } from './context.js';
import type { KeyRing } from './domain/keys.js';
import type { SecretBox } from './domain/mfa/secret-box.js';
import { setArgon2Concurrency, warmDummyHash } from './domain/passwords.js';
import metrics from './plugins/metrics.js';
import adminRoutes from './routes/admin/index.js';
import jwksRoutes from './routes/jwks/index.js';
import loginRoutes from './routes/login/index.js';
import logoutRoutes from './routes/logout/index.js';
import mfaRoutes from './routes/mfa/index.js';
import sessionRoutes from './routes/session/index.js';

/** Everything {@link buildApp} needs: config, the root logger, clients and keys. */
export interface AuthDeps {
  config: AuthConfig;
  logger: Logger;
  redis: Redis;
  /** Hears gateways confirm revocations (`RevocationBarrier`); without it a revocation waits out their cache lease. */
  subscriber?: Redis;
  pool: Pool;
  keys: KeyRing;
  /** Start-up steps (server.ts: migrations), reported by `/readyz` until done. */
  startup?: Startup;
  /** Seals second-factor secrets (`MFA_KEY_FILE`). */
  secrets: SecretBox;
  /** Closes the clients, after every other `onClose` hook (see `createBaseApp`). */
  closeClients?: () => Promise<void>;
  /** Milliseconds since the epoch for session stamps and the idle timeout; `Date.now` by default (tests move it). */
  now?: () => number;
}

/**
 * Builds the auth app (never listens): OpenAPI, health, JWKS, login,
 * logout and session routes.
 *
 * @example
 * ```ts
 * const app = await buildApp({ config, logger, redis, pool, keys, secrets });
 * const res = await app.inject({ method: 'POST', url: '/auth/login', payload: { username, password } });
 * ```
 */
export async function buildApp(deps: AuthDeps) {
  setArgon2Concurrency(deps.config.ARGON2_CONCURRENCY);
  const ctx = createAuthContext(deps);
  const app = createBaseApp({
    logger: deps.logger,
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    trustProxy: deps.config.TRUST_PROXY,
    ...(deps.closeClients ? { closeClients: deps.closeClients } : {}),
  });
  await app.register(metrics, { redis: deps.redis });
  await app.register(openapiPlugin, {
    openapi: {
      info: {
        title: 'Gatehouse auth',
        version: '1',
        description: 'Login (with a second factor: TOTP, passkeys, recovery codes), sessions, logout and JWKS.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  await app.register(healthPlugin, {
    ...(deps.startup ? { startup: deps.startup } : {}),
    checks: {
      redis: async () => await deps.redis.ping(),
      postgres: async () => (await deps.pool.query('SELECT 1')).rowCount,
    },
  });
  await app.register(jwksRoutes, { keys: deps.keys });
  await app.register(loginRoutes, { ctx });
  await app.register(logoutRoutes, { ctx });
  await app.register(sessionRoutes, { ctx });
  await app.register(adminRoutes, { ctx });
  await app.register(mfaRoutes, { ctx });
  // The dummy hash unknown users are verified against is made before the first request.
  app.addHook('onReady', async () => {
    await warmDummyHash();
  });
  return app;
}

/** The type of the auth app. */
export type AuthApp = Awaited<ReturnType<typeof buildApp>>;
