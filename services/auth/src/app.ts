import { createBaseApp, healthPlugin } from '@gatehouse/runtime';
import { type AuthAppDeps, createAuthContext } from './context.js';
import { warmDummyHash } from './domain/passwords.js';
import metrics from './plugins/metrics.js';
import openapi from './plugins/openapi.js';
import adminRoutes from './routes/admin/index.js';
import jwksRoutes from './routes/jwks/index.js';
import loginRoutes from './routes/login/index.js';
import logoutRoutes from './routes/logout/index.js';
import mfaRoutes from './routes/mfa/index.js';
import sessionRoutes from './routes/session/index.js';

/**
 * Builds the auth app (never listens): OpenAPI, health, JWKS, login,
 * logout and session routes. The caller owns the clients and closes them.
 *
 * @example
 * ```ts
 * const app = buildApp({ config, logger, redis, pool, keys, secrets });
 * const res = await app.inject({ method: 'POST', url: '/auth/login', payload: { username, password } });
 * ```
 */
export function buildApp(deps: AuthAppDeps) {
  const ctx = createAuthContext(deps);
  const app = createBaseApp({
    logger: deps.logger,
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    trustProxy: deps.config.TRUST_PROXY,
  });
  app.register(metrics, { redis: deps.redis });
  app.register(openapi);
  app.register(healthPlugin, {
    ...(deps.startup ? { startup: deps.startup } : {}),
    checks: {
      redis: async () => await deps.redis.ping(),
      postgres: async () => (await deps.pool.query('SELECT 1')).rowCount,
    },
  });
  app.register(jwksRoutes, { keys: deps.keys });
  app.register(loginRoutes, { ctx });
  app.register(logoutRoutes, { ctx });
  app.register(sessionRoutes, { ctx });
  app.register(adminRoutes, { ctx });
  app.register(mfaRoutes, { ctx });
  // The dummy hash unknown users are verified against is made before the first request.
  app.addHook('onReady', async () => {
    await warmDummyHash();
  });
  return app;
}
