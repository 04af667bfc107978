import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  AuditEventListResponseSchema,
  AuditEventsQuerySchema,
  AuditEventViewSchema,
  ErrorResponseSchema,
  GatehouseError,
} from '@gatehouse/contracts';
import type { Pool } from '@gatehouse/runtime';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { getEvent, listEvents } from '../../repositories/query.repository.js';

const errors = { 400: ErrorResponseSchema, 403: ErrorResponseSchema, 503: ErrorResponseSchema };

/** `GET /audit/events` and `GET /audit/events/:id`. */
export default async function eventsRoutes(parent: FastifyInstance, options: { pool: Pool }) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/audit/events',
    {
      schema: {
        tags: ['events'],
        summary: 'List stored events, newest first, with filters and a keyset cursor',
        querystring: AuditEventsQuerySchema,
        response: { 200: AuditEventListResponseSchema, ...errors },
      },
    },
    async (request) => await listEvents(options.pool, request.query),
  );
  app.get(
    '/audit/events/:id',
    {
      schema: {
        tags: ['events'],
        summary: 'One stored event by its id',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: AuditEventViewSchema, 404: ErrorResponseSchema, ...errors },
      },
    },
    async (request) => {
      const event = await getEvent(options.pool, request.params.id);
      if (!event) throw new GatehouseError('not_found', `No event ${request.params.id} in the trail.`);
      return event;
    },
  );
}
