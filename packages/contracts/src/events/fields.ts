import { type TSchema, Type } from '@sinclair/typebox';

/** Every auth event type. New types are added, never changed. */
export const AUTH_EVENT_TYPES = [
  'auth.login.succeeded',
  'auth.login.failed',
  'auth.login.rate_limited',
  'auth.logout',
  'auth.sessions.revoked',
  'auth.mfa.enrolled',
  'auth.mfa.removed',
  'auth.mfa.succeeded',
  'auth.mfa.failed',
  'auth.mfa.recovery_used',
  'auth.mfa.challenge_expired',
] as const;

/** One of {@link AUTH_EVENT_TYPES}. */
export type AuthEventType = (typeof AUTH_EVENT_TYPES)[number];

/** The PostgreSQL types an envelope field is stored as. */
export type AuthEventColumnType = 'uuid' | 'text' | 'int' | 'timestamptz';

/** One envelope field and how the audit trail keeps it. */
export interface AuthEventField {
  /** Its schema in the `auth-events` envelope. */
  envelope: TSchema;
  /** Its schema in a stored event (`GET /audit/events`), when wider than `envelope`; else `envelope`. */
  stored?: TSchema;
  /** Its `audit_events` column. */
  column: string;
  /** That column's type. */
  columnType: AuthEventColumnType;
  /**
   * Where the chain hash covers it (docs/audit.md#canonical-form). `position`:
   * its own place in the canonical array, in this table's order; that array
   * is closed, since a new place would change the hash of every stored event.
   * `extra`: as a key of the `extra` object when not null, which is how the
   * field was hashed before it had a column, so adding one changes no hash.
   */
  canonical: 'position' | 'extra';
}

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/**
 * The one list of envelope fields, in order. The envelope schema, the stored
 * event view, the `audit_events` columns, the chain hash input and the CSV
 * export columns all derive from it: a new field is one entry here (optional
 * in the envelope, so producers that do not send it stay valid, with a
 * nullable `stored` schema and `canonical: 'extra'`) plus its column in a
 * migration (docs/audit.md#one-field-list).
 *
 * @example
 * ```ts
 * deviceId: {
 *   envelope: Type.Optional(Type.Union([Type.String(), Type.Null()])),
 *   stored: Type.Union([Type.String(), Type.Null()]),
 *   column: 'device_id',
 *   columnType: 'text',
 *   canonical: 'extra',
 * },
 * ```
 */
export const AUTH_EVENT_FIELDS = {
  id: {
    envelope: Type.String({ format: 'uuid', description: 'UUIDv7, unique per event' }),
    stored: Type.String({ format: 'uuid' }),
    column: 'event_id',
    columnType: 'uuid',
    canonical: 'position',
  },
  type: {
    envelope: Type.Union(AUTH_EVENT_TYPES.map((t) => Type.Literal(t))),
    stored: Type.String(),
    column: 'type',
    columnType: 'text',
    canonical: 'position',
  },
  version: {
    envelope: Type.Literal(1),
    stored: Type.Integer(),
    column: 'version',
    columnType: 'int',
    canonical: 'position',
  },
  occurredAt: {
    envelope: Type.String({ format: 'date-time' }),
    column: 'occurred_at',
    columnType: 'timestamptz',
    canonical: 'position',
  },
  source: {
    envelope: Type.String({ minLength: 1, description: 'the emitting service' }),
    stored: Type.String(),
    column: 'source',
    columnType: 'text',
    canonical: 'position',
  },
  subject: {
    envelope: Nullable(Type.String({ description: 'user id' })),
    column: 'user_id',
    columnType: 'text',
    canonical: 'position',
  },
  username: { envelope: Nullable(Type.String()), column: 'username', columnType: 'text', canonical: 'position' },
  sessionId: { envelope: Nullable(Type.String()), column: 'session_id', columnType: 'text', canonical: 'position' },
  ip: { envelope: Nullable(Type.String()), column: 'ip', columnType: 'text', canonical: 'position' },
  userAgent: { envelope: Nullable(Type.String()), column: 'user_agent', columnType: 'text', canonical: 'position' },
  reason: { envelope: Nullable(Type.String()), column: 'reason', columnType: 'text', canonical: 'position' },
  traceparent: { envelope: Nullable(Type.String()), column: 'traceparent', columnType: 'text', canonical: 'position' },
} satisfies Record<string, AuthEventField>;

/** The name of one envelope field. */
export type AuthEventFieldName = keyof typeof AUTH_EVENT_FIELDS;
