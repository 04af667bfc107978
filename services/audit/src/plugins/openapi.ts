import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** OpenAPI 3 description of the query API, served at `/docs` (UI) and `/docs/json`. */
export default fp(
  async function openapi(app: FastifyInstance) {
    await app.register(swagger, {
      openapi: {
        info: {
          title: 'Gatehouse audit',
          version: '1.0.0',
          description:
            'The audit trail of every auth event. Reached through the gateway with the auditor role; every call is recorded.',
        },
        tags: [
          { name: 'events', description: 'Stored auth events' },
          { name: 'trail', description: 'Tamper evidence and the readers of the trail' },
        ],
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'audit-openapi', fastify: '5.x' },
);
