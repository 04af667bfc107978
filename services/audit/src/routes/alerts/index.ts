import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  AuditAlertListResponseSchema,
  AuditAlertsQuerySchema,
  AuditDeliveriesQuerySchema,
  AuditDeliveryListResponseSchema,
  AuditDeliveryViewSchema,
  ErrorResponseSchema,
  GatehouseError,
} from '@gatehouse/contracts';
import type { Pool } from '@gatehouse/runtime';
import { Type } from '@sinclair/typebox';
import type { Job, Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { type DeliveryData, toDeliveryView } from '../../jobs/webhook.worker.js';
import { listAlerts } from '../../repositories/alerts.repository.js';

const errors = { 400: ErrorResponseSchema, 403: ErrorResponseSchema, 503: ErrorResponseSchema };

/** `GET /audit/alerts`, `GET /audit/alerts/deliveries`, `POST /audit/alerts/deliveries/:id/retry`. */
export default async function alertsRoutes(parent: FastifyInstance, options: { pool: Pool; webhooks: Queue }) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/audit/alerts',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Alerts raised by the detection rules, newest first',
        querystring: AuditAlertsQuerySchema,
        response: { 200: AuditAlertListResponseSchema, ...errors },
      },
    },
    async (request) => await listAlerts(options.pool, request.query),
  );
  app.get(
    '/audit/alerts/deliveries',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Webhook deliveries of alerts in one state (default: failed, i.e. every attempt spent)',
        querystring: AuditDeliveriesQuerySchema,
        response: { 200: AuditDeliveryListResponseSchema, ...errors },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 100;
      const jobs = (await options.webhooks.getJobs([request.query.state ?? 'failed'], 0, limit - 1)) as Array<
        Job<DeliveryData> | undefined
      >;
      const present = jobs.filter((j): j is Job<DeliveryData> => j !== undefined);
      return { deliveries: await Promise.all(present.map(toDeliveryView)) };
    },
  );
  app.post(
    '/audit/alerts/deliveries/:id/retry',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Queue a failed delivery again, with a fresh set of attempts',
        params: Type.Object({ id: Type.String({ pattern: '^alert-[0-9]{1,18}-[0-9]{1,4}$' }) }),
        response: { 202: AuditDeliveryViewSchema, 404: ErrorResponseSchema, 409: ErrorResponseSchema, ...errors },
      },
    },
    async (request, reply) => {
      const job = (await options.webhooks.getJob(request.params.id)) as Job<DeliveryData> | undefined;
      if (!job) throw new GatehouseError('not_found', `No delivery ${request.params.id}.`);
      if (!(await job.isFailed())) {
        throw new GatehouseError(
          'conflict',
          `Delivery ${request.params.id} has not failed; only failed deliveries are retried.`,
        );
      }
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      return reply.code(202).send(await toDeliveryView(job));
    },
  );
}
