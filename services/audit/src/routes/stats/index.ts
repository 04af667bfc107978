import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  AUDIT_STATS_BUCKETS,
  AUDIT_STATS_MAX_BUCKETS,
  AuditStatsQuerySchema,
  AuditStatsResponseSchema,
  ErrorResponseSchema,
  GatehouseError,
} from '@gatehouse/contracts';
import type { Pool } from '@gatehouse/runtime';
import type { FastifyInstance } from 'fastify';
import { loginStats } from '../../repositories/stats.repository.js';

const errors = { 400: ErrorResponseSchema, 403: ErrorResponseSchema, 503: ErrorResponseSchema };

const invalid = (message: string) => new GatehouseError('validation_failed', message);

/** Checks the bucket and the range; returns the bounds as dates. */
function checkStatsRange(query: { from: string; to: string; bucket: number }): { from: Date; to: Date } {
  const { bucket } = query;
  if (!(AUDIT_STATS_BUCKETS as readonly number[]).includes(bucket)) {
    throw invalid(`querystring/bucket must be one of ${AUDIT_STATS_BUCKETS.join(', ')} seconds`);
  }
  const from = new Date(query.from);
  const to = new Date(query.to);
  const width = bucket * 1000;
  if (from.getTime() % width !== 0) throw invalid(`querystring/from must be a multiple of ${bucket} s since the epoch`);
  if (to.getTime() % width !== 0) throw invalid(`querystring/to must be a multiple of ${bucket} s since the epoch`);
  if (to <= from) throw invalid('querystring/to must be after from');
  const count = (to.getTime() - from.getTime()) / width;
  if (count > AUDIT_STATS_MAX_BUCKETS) {
    throw invalid(`the range spans ${count} buckets; at most ${AUDIT_STATS_MAX_BUCKETS} (choose a wider bucket)`);
  }
  return { from, to };
}

/** `GET /audit/stats`: logins succeeded, failed and rate-limited per time bucket. */
export default async function statsRoutes(parent: FastifyInstance, options: { pool: Pool }) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/audit/stats',
    {
      schema: {
        tags: ['events'],
        summary: 'Login outcomes per time bucket (buckets aligned on the Unix epoch, UTC; empty ones omitted)',
        querystring: AuditStatsQuerySchema,
        response: { 200: AuditStatsResponseSchema, ...errors },
      },
    },
    async (request) => {
      const { from, to } = checkStatsRange(request.query);
      const buckets = await loginStats(options.pool, { from, to, bucketSeconds: request.query.bucket });
      return { from: from.toISOString(), to: to.toISOString(), bucket: request.query.bucket, buckets };
    },
  );
}
