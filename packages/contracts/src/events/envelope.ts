import { type Static, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { v7 as uuidv7 } from 'uuid';
import { registerFormats } from './formats.js';

registerFormats();

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

/**
 * The second factors, as the `auth.mfa.*` events name them in their extra
 * envelope field `factor` (stored by audit in `extra`).
 */
const MFA_FACTORS = ['totp', 'passkey', 'recovery'] as const;

/** One of {@link MFA_FACTORS}. */
export type MfaFactor = (typeof MFA_FACTORS)[number];

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

/**
 * The JSON envelope of every entry in `auth-events`. A consumer ignores
 * fields it does not know, so extra properties are allowed.
 */
const AuthEventSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'UUIDv7, unique per event' }),
    type: Type.Union(AUTH_EVENT_TYPES.map((t) => Type.Literal(t))),
    version: Type.Literal(1),
    occurredAt: Type.String({ format: 'date-time' }),
    source: Type.String({ minLength: 1, description: 'the emitting service' }),
    subject: Nullable(Type.String({ description: 'user id' })),
    username: Nullable(Type.String()),
    sessionId: Nullable(Type.String()),
    ip: Nullable(Type.String()),
    userAgent: Nullable(Type.String()),
    reason: Nullable(Type.String()),
    traceparent: Nullable(Type.String()),
  },
  { additionalProperties: true },
);

/** An auth event envelope. */
export type AuthEvent = Static<typeof AuthEventSchema>;

/** The fields a producer supplies; id, version and time are filled in. */
export type AuthEventInput = Pick<AuthEvent, 'type' | 'source'> &
  Partial<Pick<AuthEvent, 'subject' | 'username' | 'sessionId' | 'ip' | 'userAgent' | 'reason' | 'traceparent'>>;

const checker = TypeCompiler.Compile(AuthEventSchema);

/**
 * Builds a complete envelope with a fresh UUIDv7 id.
 *
 * @example
 * ```ts
 * const event = createAuthEvent({ type: 'auth.logout', source: 'auth', subject: userId, sessionId });
 * ```
 */
export function createAuthEvent(input: AuthEventInput, now: Date = new Date()): AuthEvent {
  return {
    id: uuidv7({ msecs: now.getTime() }),
    type: input.type,
    version: 1,
    occurredAt: now.toISOString(),
    source: input.source,
    subject: input.subject ?? null,
    username: input.username ?? null,
    sessionId: input.sessionId ?? null,
    ip: input.ip ?? null,
    userAgent: input.userAgent ?? null,
    reason: input.reason ?? null,
    traceparent: input.traceparent ?? null,
  };
}

/** The outcome of {@link parseAuthEvent}: the event, or a reason naming the field. */
export type ParseResult = { ok: true; event: AuthEvent } | { ok: false; reason: string };

/**
 * Parses and validates one stream entry's `event` field.
 *
 * @example
 * ```ts
 * const parsed = parseAuthEvent(fields.event);
 * if (!parsed.ok) deadLetter(parsed.reason);
 * ```
 */
export function parseAuthEvent(json: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  if (checker.Check(value)) return { ok: true, event: value };
  const first = checker.Errors(value).First();
  const field = first?.path ? first.path.slice(1).replaceAll('/', '.') : '(envelope)';
  return { ok: false, reason: `${field}: ${first?.message ?? 'invalid'}` };
}
