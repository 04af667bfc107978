import { type Static, type TProperties, type TSchema, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { v7 as uuidv7 } from 'uuid';
import { AUTH_EVENT_FIELDS, type AuthEventField, type AuthEventFieldName } from './fields.js';
import { registerFormats } from './formats.js';

registerFormats();

/**
 * The second factors, as the `auth.mfa.*` events name them in their extra
 * envelope field `factor` (stored by audit in `extra`).
 */
const MFA_FACTORS = ['totp', 'passkey', 'recovery'] as const;

/** One of {@link MFA_FACTORS}. */
export type MfaFactor = (typeof MFA_FACTORS)[number];

type Fields = typeof AUTH_EVENT_FIELDS;
type EnvelopeProperties = { [K in keyof Fields]: Fields[K]['envelope'] };
type StoredProperties = { [K in keyof Fields]: Fields[K] extends { stored: infer S } ? S : Fields[K]['envelope'] };

/** {@link AUTH_EVENT_FIELDS} as a list in table order, each field with its name. */
export const AUTH_EVENT_FIELD_LIST: ReadonlyArray<AuthEventField & { name: AuthEventFieldName }> = Object.entries(
  AUTH_EVENT_FIELDS,
).map(([name, field]) => ({ ...(field as AuthEventField), name: name as AuthEventFieldName }));

function properties<T extends TProperties>(pick: (field: AuthEventField) => TSchema): T {
  return Object.fromEntries(AUTH_EVENT_FIELD_LIST.map((field) => [field.name, pick(field)])) as T;
}

/** The schema of every field in a stored event (wider than the envelope's), in table order. */
export const AUTH_EVENT_STORED_PROPERTIES = properties<StoredProperties>((f) => f.stored ?? f.envelope);

/**
 * The JSON envelope of every entry in `auth-events`: the fields of
 * {@link AUTH_EVENT_FIELDS}. A consumer ignores fields it does not know, so
 * extra properties are allowed.
 */
const AuthEventSchema = Type.Object(
  properties<EnvelopeProperties>((f) => f.envelope),
  {
    additionalProperties: true,
  },
);

/** An auth event envelope. */
export type AuthEvent = Static<typeof AuthEventSchema>;

/** The fields createAuthEvent fills in (id, version, time) or requires (type, source); the rest default to null. */
const GIVEN = new Set<string>(['id', 'version', 'occurredAt', 'type', 'source']);
const OPTIONAL_FIELDS = AUTH_EVENT_FIELD_LIST.filter((f) => !GIVEN.has(f.name)).map((f) => f.name);

/** The fields a producer supplies; id, version and time are filled in. */
export type AuthEventInput = Pick<AuthEvent, 'type' | 'source'> &
  Partial<Omit<AuthEvent, 'id' | 'version' | 'occurredAt' | 'type' | 'source'>>;

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
  const event = {
    id: uuidv7({ msecs: now.getTime() }),
    type: input.type,
    version: 1,
    occurredAt: now.toISOString(),
    source: input.source,
  } as AuthEvent;
  for (const name of OPTIONAL_FIELDS)
    (event as Record<string, unknown>)[name] = input[name as keyof AuthEventInput] ?? null;
  return event;
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
