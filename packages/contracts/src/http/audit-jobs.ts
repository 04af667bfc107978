import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { PLAIN_TEXT_PATTERN } from '../username.js';
import { AuditEventFiltersSchema } from './audit.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** The detection rules of the audit service (docs/audit.md#detections). */
const AUDIT_ALERT_RULES = [
  'brute_force',
  'credential_stuffing',
  'success_after_lockout',
  'multiple_ips',
  'second_factor_failures',
] as const;

/** One of {@link AUDIT_ALERT_RULES}. */
export type AuditAlertRule = (typeof AUDIT_ALERT_RULES)[number];

/** One alert: a rule fired for a subject in a window, with the events behind it. */
const AuditAlertViewSchema = Type.Object({
  id: Type.Integer(),
  rule: Type.Union(AUDIT_ALERT_RULES.map((r) => Type.Literal(r))),
  subject: Type.String({ description: 'the username or IP address the rule counted on' }),
  subjectKind: Type.Union([Type.Literal('username'), Type.Literal('ip')]),
  windowStart: Type.String({ format: 'date-time', description: 'start of the window an alert is unique in' }),
  windowEnd: Type.String({ format: 'date-time' }),
  firstAt: Type.String({ format: 'date-time', description: 'occurredAt of the first event behind the alert' }),
  lastAt: Type.String({ format: 'date-time', description: 'occurredAt of the event that fired the rule' }),
  eventIds: Type.Array(Type.String({ format: 'uuid' })),
  details: Type.Record(Type.String(), Type.Unknown(), { description: 'count, threshold and window of the rule' }),
  createdAt: Type.String({ format: 'date-time' }),
});
/** A stored alert. */
export type AuditAlertView = Static<typeof AuditAlertViewSchema>;

/** `GET /audit/alerts` query. */
export const AuditAlertsQuerySchema = Type.Object(
  {
    rule: Type.Optional(Type.Union(AUDIT_ALERT_RULES.map((r) => Type.Literal(r)))),
    subject: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: PLAIN_TEXT_PATTERN })),
    cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$', description: 'nextCursor of the last page' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
);
/** An alert list query. */
export type AuditAlertsQuery = Static<typeof AuditAlertsQuerySchema>;

/** `GET /audit/alerts` reply, newest first. */
export const AuditAlertListResponseSchema = Type.Object({
  alerts: Type.Array(AuditAlertViewSchema),
  nextCursor: Nullable(Type.String()),
});
/** A page of alerts. */
export type AuditAlertListResponse = Static<typeof AuditAlertListResponseSchema>;

/** States a webhook delivery can be listed in. */
const AUDIT_DELIVERY_STATES = ['failed', 'completed', 'waiting', 'active', 'delayed'] as const;

/** One webhook delivery of one alert to one receiver. */
export const AuditDeliveryViewSchema = Type.Object({
  id: Type.String(),
  alertId: Type.Integer(),
  target: Type.String({ description: 'origin of the receiver URL (the path may hold a secret and is not shown)' }),
  state: Type.String(),
  attemptsMade: Type.Integer(),
  failedReason: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  finishedAt: Nullable(Type.String({ format: 'date-time' })),
});
/** A webhook delivery. */
export type AuditDeliveryView = Static<typeof AuditDeliveryViewSchema>;

/** `GET /audit/alerts/deliveries` query. */
export const AuditDeliveriesQuerySchema = Type.Object(
  {
    state: Type.Optional(
      Type.Union(
        AUDIT_DELIVERY_STATES.map((s) => Type.Literal(s)),
        { default: 'failed' },
      ),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
);
/** A delivery list query. */
export type AuditDeliveriesQuery = Static<typeof AuditDeliveriesQuerySchema>;

/** `GET /audit/alerts/deliveries` reply. */
export const AuditDeliveryListResponseSchema = Type.Object({ deliveries: Type.Array(AuditDeliveryViewSchema) });
/** A list of deliveries. */
export type AuditDeliveryListResponse = Static<typeof AuditDeliveryListResponseSchema>;

/**
 * The JSON body POSTed to each alert webhook. `timestamp` (Unix seconds) is
 * inside the signed body and repeated in {@link AUDIT_WEBHOOK_TIMESTAMP_HEADER}.
 */
const AuditWebhookPayloadSchema = Type.Object({
  deliveryId: Type.String(),
  attempt: Type.Integer({ minimum: 1 }),
  timestamp: Type.Integer({ description: 'Unix seconds when this attempt was sent' }),
  alert: AuditAlertViewSchema,
});
/** A webhook body. */
export type AuditWebhookPayload = Static<typeof AuditWebhookPayloadSchema>;

/** Header with `sha256=<hex HMAC-SHA256 of the raw body with AUDIT_WEBHOOK_SECRET>`. */
export const AUDIT_WEBHOOK_SIGNATURE_HEADER = 'x-gatehouse-signature';

/** Header with the Unix seconds the attempt was sent (also `timestamp` in the signed body). */
export const AUDIT_WEBHOOK_TIMESTAMP_HEADER = 'x-gatehouse-timestamp';

/** Export file formats. */
const AUDIT_EXPORT_FORMATS = ['ndjson', 'csv'] as const;

/** `POST /audit/exports` body: the filters of `GET /audit/events` and a format. */
export const AuditExportRequestSchema = Type.Composite(
  [AuditEventFiltersSchema, Type.Object({ format: Type.Union(AUDIT_EXPORT_FORMATS.map((f) => Type.Literal(f))) })],
  { additionalProperties: false },
);

/** `POST /audit/exports` reply (202). */
export const AuditExportAcceptedSchema = Type.Object({ id: Type.String({ format: 'uuid' }) });
/** An accepted export. */
export type AuditExportAccepted = Static<typeof AuditExportAcceptedSchema>;

/** `GET /audit/exports/:id` reply. */
export const AuditExportViewSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  format: Type.Union(AUDIT_EXPORT_FORMATS.map((f) => Type.Literal(f))),
  state: Type.Union(['queued', 'running', 'completed', 'failed'].map((s) => Type.Literal(s))),
  progress: Type.Number({ minimum: 0, maximum: 100, description: 'percent of the matching rows written' }),
  rowCount: Type.Integer({ description: 'rows written so far (all of them once completed)' }),
  totalRows: Nullable(Type.Integer({ description: 'rows matching when the export started' })),
  bytes: Nullable(Type.Integer()),
  filters: Type.Record(Type.String(), Type.Unknown()),
  error: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  finishedAt: Nullable(Type.String({ format: 'date-time' })),
});
/** An export's status. */
export type AuditExportView = Static<typeof AuditExportViewSchema>;
