import type { FastifyInstance, FastifySchema } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { flushTraces } from './tracing.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The Prometheus registry `/metrics` serves; service plugins add their own series to it. */
    metrics: Registry;
  }
}

/** Options of the metrics plugin. */
interface MetricsOptions {
  /** Where the registry is served; default `/metrics`. */
  path?: string;
}

/** Buckets of the request duration histogram, in seconds (5 ms … 10 s). */
const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Serves Prometheus text at `/metrics` from a registry of the app's own
 * (process and Node.js metrics, and `gatehouse_http_request_duration_seconds`
 * by method, route pattern and status code; requests no route matched count
 * as `route="unmatched"` so raw URLs never become labels). Register it before
 * the routes so its hook sees them. On close it flushes buffered trace spans.
 *
 * @example
 * ```ts
 * await app.register(metricsPlugin);
 * new Counter({ name: 'gatehouse_auth_logins_total', help: '…', registers: [app.metrics] });
 * ```
 */
export default fp(
  async function metrics(app: FastifyInstance, options: MetricsOptions) {
    const path = options.path ?? '/metrics';
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const duration = new Histogram({
      name: 'gatehouse_http_request_duration_seconds',
      help: 'HTTP request duration by method, route pattern and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: HTTP_DURATION_BUCKETS,
      registers: [registry],
    });
    app.decorate('metrics', registry);
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      if (route !== path) {
        duration.observe(
          { method: request.method, route, status_code: String(reply.statusCode) },
          reply.elapsedTime / 1000,
        );
      }
      done();
    });
    app.get(path, { schema: { hide: true } as FastifySchema, logLevel: 'warn' }, async (_request, reply) => {
      reply.header('content-type', registry.contentType);
      return await registry.metrics();
    });
    app.addHook('onClose', async () => {
      await flushTraces();
    });
  },
  { name: 'gatehouse-metrics', fastify: '5.x' },
);
