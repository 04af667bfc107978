import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AuditUserSummarySchema, ErrorResponseSchema } from '@gatehouse/contracts';
import type { Pool, Redis } from '@gatehouse/runtime';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { userSummary } from '../../repositories/summary.repository.js';

/** `GET /audit/users/:userId/summary`. */
export default async function usersRoutes(
  parent: FastifyInstance,
  options: { pool: Pool; redis: Redis; clock: () => Date },
) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/audit/users/:userId/summary',
    {
      schema: {
        tags: ['events'],
        summary: 'Last successful login, failures and lockouts in the last 24 h, live sessions',
        params: Type.Object({ userId: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: { 200: AuditUserSummarySchema, 400: ErrorResponseSchema, 403: ErrorResponseSchema },
      },
    },
    async (request) => await userSummary(options, request.params.userId, options.clock()),
  );
}
