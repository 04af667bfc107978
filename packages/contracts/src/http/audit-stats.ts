import { type Static, Type } from '@sinclair/typebox';

/** Bucket widths in seconds `GET /audit/stats` accepts; each divides a day or is a day. */
export const AUDIT_STATS_BUCKETS = [60, 300, 900, 1800, 3600, 10800, 21600, 43200, 86400] as const;

/** The most buckets one `GET /audit/stats` call may span. */
export const AUDIT_STATS_MAX_BUCKETS = 120;

/**
 * `GET /audit/stats` query: `[from, to)` in ISO-8601, both multiples of `bucket`
 * seconds since the Unix epoch (UTC), at most {@link AUDIT_STATS_MAX_BUCKETS} buckets.
 */
export const AuditStatsQuerySchema = Type.Object(
  {
    from: Type.String({ format: 'date-time', description: 'inclusive, aligned on the bucket' }),
    to: Type.String({ format: 'date-time', description: 'exclusive, aligned on the bucket' }),
    bucket: Type.Integer({
      minimum: 60,
      maximum: 86400,
      description: `bucket width in seconds, one of ${AUDIT_STATS_BUCKETS.join(', ')}`,
    }),
  },
  { additionalProperties: false },
);

/** Login outcomes in one bucket `[start, start + bucket)`. */
const AuditStatsBucketSchema = Type.Object({
  start: Type.String({ format: 'date-time' }),
  succeeded: Type.Integer({ minimum: 0, description: 'auth.login.succeeded events' }),
  failed: Type.Integer({ minimum: 0, description: 'auth.login.failed events' }),
  rateLimited: Type.Integer({ minimum: 0, description: 'auth.login.rate_limited events' }),
});
/** One bucket of stats. */
export type AuditStatsBucket = Static<typeof AuditStatsBucketSchema>;

/** `GET /audit/stats` reply: only buckets with at least one login event, oldest first. */
export const AuditStatsResponseSchema = Type.Object({
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  bucket: Type.Integer(),
  buckets: Type.Array(AuditStatsBucketSchema),
});
/** Login outcomes per bucket. */
export type AuditStatsResponse = Static<typeof AuditStatsResponseSchema>;
