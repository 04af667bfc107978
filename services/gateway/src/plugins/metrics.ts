import { metricsPlugin } from '@gatehouse/runtime';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter } from 'prom-client';

/**
 * `/metrics` of the gateway: the shared HTTP series (proxied routes by their
 * pattern, e.g. `/auth/*`) and the requests its own rate limiter refused.
 * Scrape it on the pod port; the Ingress exposes only the public routes.
 */
export default fp(
  async function gatewayMetrics(app: FastifyInstance) {
    await app.register(metricsPlugin);
    const limited = new Counter({
      name: 'gatehouse_gateway_rate_limited_total',
      help: 'Requests the gateway refused with 429 (its own limiter or an upstream rate limit)',
      labelNames: ['route'],
      registers: [app.metrics],
    });
    app.addHook('onResponse', (request, reply, done) => {
      if (reply.statusCode === 429) limited.inc({ route: request.routeOptions.url ?? 'unmatched' });
      done();
    });
  },
  { name: 'gateway-metrics', fastify: '5.x' },
);
