import { type Static, type TProperties, type TSchema, Type } from '@sinclair/typebox';
import { AUTH_EVENT_STORED_PROPERTIES } from '../events/envelope.js';
import { AUTH_EVENT_TYPES } from '../events/fields.js';
import { PLAIN_TEXT_PATTERN } from '../username.js';

/** A filter value: bounded, and never a control character (PostgreSQL refuses NUL in text). */
const Text = (maxLength: number, description?: string) =>
  Type.String({ minLength: 1, maxLength, pattern: PLAIN_TEXT_PATTERN, ...(description ? { description } : {}) });

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** Filters shared by `GET /audit/events`, `GET /audit/stream` and (later) exports. */
export const AuditEventFiltersSchema = Type.Object({
  userId: Type.Optional(Text(200)),
  username: Type.Optional(Text(200, 'any spelling: matched in canonical form')),
  type: Type.Optional(Type.Union(AUTH_EVENT_TYPES.map((t) => Type.Literal(t)))),
  ip: Type.Optional(Text(64)),
  sessionId: Type.Optional(Text(200)),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'occurredAt ≥ from' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'occurredAt < to' })),
});
/** Audit event filters. */
export type AuditEventFilters = Static<typeof AuditEventFiltersSchema>;

/** `GET /audit/events` query: the filters, a keyset cursor and a page size. */
export const AuditEventsQuerySchema = Type.Composite(
  [
    AuditEventFiltersSchema,
    Type.Object({
      cursor: Type.Optional(Text(200, 'nextCursor of the last page')),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    }),
  ],
  { additionalProperties: false },
);

/** `properties` with `added` placed right after the key `after` (JSON replies follow this order). */
function placeAfter<T extends TProperties, U extends TProperties>(properties: T, after: keyof T, added: U): T & U {
  return Object.fromEntries(
    Object.entries(properties).flatMap(([key, schema]) =>
      key === after ? [[key, schema], ...Object.entries(added)] : [[key, schema]],
    ),
  ) as T & U;
}

/** One stored audit event: its place in the chain, then every envelope field (and when it was stored). */
export const AuditEventViewSchema = Type.Object({
  seq: Type.Integer({ description: 'gap-free position in the trail, in commit order' }),
  ...placeAfter(AUTH_EVENT_STORED_PROPERTIES, 'occurredAt', { storedAt: Type.String({ format: 'date-time' }) }),
  extra: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
    description: 'envelope fields this version does not know',
  }),
  hash: Type.String({ description: 'hex SHA-256 chain hash' }),
});
/** A stored audit event. */
export type AuditEventView = Static<typeof AuditEventViewSchema>;

/** `GET /audit/events` reply. */
export const AuditEventListResponseSchema = Type.Object({
  events: Type.Array(AuditEventViewSchema),
  nextCursor: Nullable(Type.String()),
});
/** An audit event page. */
export type AuditEventListResponse = Static<typeof AuditEventListResponseSchema>;

/** `GET /audit/users/:userId/summary` reply. */
export const AuditUserSummarySchema = Type.Object({
  userId: Type.String(),
  username: Nullable(Type.String()),
  lastSuccessfulLogin: Type.Union([AuditEventViewSchema, Type.Null()]),
  failuresLast24h: Type.Integer(),
  lockoutsLast24h: Type.Integer(),
  activeSessions: Type.Array(Type.String(), { description: 'live session ids (from Redis)' }),
});
/** A user's audit summary. */
export type AuditUserSummary = Static<typeof AuditUserSummarySchema>;

/** Where `verify` found the trail broken. */
const AuditVerifyFailureSchema = Type.Object({
  kind: Type.Union(
    ['event_changed', 'event_missing', 'chain_broken', 'head_mismatch', 'digest_invalid'].map((k) => Type.Literal(k)),
  ),
  fromSeq: Type.Integer({ description: 'first seq of the failing range (a digest range or the undigested tail)' }),
  toSeq: Type.Integer(),
  seq: Nullable(Type.Integer()),
  eventId: Nullable(Type.String()),
  message: Type.String(),
});
/** A verify failure. */
export type AuditVerifyFailure = Static<typeof AuditVerifyFailureSchema>;

/** `GET /audit/verify` reply. */
export const AuditVerifyReportSchema = Type.Object({
  ok: Type.Boolean(),
  checkedEvents: Type.Integer(),
  checkedDigests: Type.Integer(),
  headSeq: Type.Integer(),
  digestedThrough: Type.Integer({ description: 'last seq covered by a signed digest' }),
  failure: Type.Union([AuditVerifyFailureSchema, Type.Null()]),
});
/** A verify report. */
export type AuditVerifyReport = Static<typeof AuditVerifyReportSchema>;

/** One recorded read of the trail (the readers are audited too). */
const AuditReadViewSchema = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  userId: Nullable(Type.String()),
  username: Nullable(Type.String()),
  sessionId: Nullable(Type.String()),
  requestId: Type.String(),
  method: Type.String(),
  route: Type.String(),
  params: Type.Record(Type.String(), Type.Unknown()),
});
/** A recorded read. */
export type AuditReadView = Static<typeof AuditReadViewSchema>;

/** `GET /audit/reads` reply. */
export const AuditReadListResponseSchema = Type.Object({
  reads: Type.Array(AuditReadViewSchema),
  nextCursor: Nullable(Type.String()),
});

/** The role the gateway requires (and audit re-checks) for `/audit/*`. */
export const AUDITOR_ROLE = 'auditor';
