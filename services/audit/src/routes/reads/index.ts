import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AuditReadListResponseSchema, ErrorResponseSchema } from '@gatehouse/contracts';
import type { Pool } from '@gatehouse/runtime';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { listReads } from '../../repositories/reads.repository.js';

/** `GET /audit/reads`: who read the trail, with which filters, when. */
export default async function readsRoutes(parent: FastifyInstance, options: { pool: Pool }) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/audit/reads',
    {
      schema: {
        tags: ['trail'],
        summary: 'Recorded calls to the query API, newest first',
        querystring: Type.Object(
          {
            userId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: AuditReadListResponseSchema, 400: ErrorResponseSchema, 403: ErrorResponseSchema },
      },
    },
    async (request) => await listReads(options.pool, request.query),
  );
}
