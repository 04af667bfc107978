import { countSessions, metricsPlugin, type Redis } from '@gatehouse/runtime';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge } from 'prom-client';

/** Options of the auth metrics plugin. */
interface AuthMetricsOptions {
  redis: Redis;
  /** A scrape reuses a session count younger than this; default 15 s. */
  sessionCountMaxAgeMs?: number;
}

/** The outcome label of `gatehouse_auth_logins_total` for a status of `POST /auth/login`. */
function loginOutcome(statusCode: number): string {
  if (statusCode === 200) return 'succeeded';
  if (statusCode === 401) return 'failed';
  if (statusCode === 429) return 'rate_limited';
  if (statusCode === 503) return 'unavailable';
  return statusCode < 500 ? 'invalid' : 'error';
}

/**
 * `/metrics` of the auth service: the shared HTTP series, logins by outcome
 * (rate-limited attempts are `outcome="rate_limited"`), and active sessions
 * (exact SCAN on small databases, sampled estimate on large ones; cached).
 */
export default fp(
  async function authMetrics(app: FastifyInstance, options: AuthMetricsOptions) {
    await app.register(metricsPlugin);
    const logins = new Counter({
      name: 'gatehouse_auth_logins_total',
      help: 'Login attempts by outcome: succeeded, failed, rate_limited, invalid, unavailable, error',
      labelNames: ['outcome'],
      registers: [app.metrics],
    });
    for (const outcome of ['succeeded', 'failed', 'rate_limited']) logins.inc({ outcome }, 0);
    app.addHook('onResponse', async (request, reply) => {
      if (request.method === 'POST' && request.routeOptions.url === '/auth/login') {
        logins.inc({ outcome: loginOutcome(reply.statusCode) });
      }
    });
    const maxAgeMs = options.sessionCountMaxAgeMs ?? 15_000;
    let cached: { at: number; value: number } | undefined;
    new Gauge({
      name: 'gatehouse_sessions_active',
      help: 'Live session:* keys in Redis (exact up to 20,000 keys, sampled estimate above)',
      registers: [app.metrics],
      async collect() {
        if (!cached || Date.now() - cached.at > maxAgeMs) {
          // Redis down: keep the last count rather than failing the whole scrape.
          const counted = await countSessions(options.redis).catch(() => null);
          if (counted) cached = { at: Date.now(), value: counted.sessions };
        }
        if (cached) this.set(cached.value);
      },
    });
  },
  { name: 'auth-metrics', fastify: '5.x' },
);
