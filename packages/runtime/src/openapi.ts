import swagger, { type FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** Options of the OpenAPI plugin: the document's top (info, tags, components); the paths come from the route schemas. */
interface OpenapiOptions {
  openapi: NonNullable<FastifyDynamicSwaggerOptions['openapi']>;
}

/** OpenAPI 3 document built from the route schemas, served at `/docs/json` and with Swagger UI at `/docs`. */
export default fp(
  async function openapi(app: FastifyInstance, options: OpenapiOptions) {
    await app.register(swagger, { openapi: options.openapi });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'openapi', fastify: '5.x' },
);
