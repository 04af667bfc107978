import { createHash } from 'node:crypto';
import { AUTH_EVENT_FIELD_LIST, type AuditEventView, type AuthEvent, type AuthEventField } from '@gatehouse/contracts';

/** The fields of one stored event that the chain hash covers: its seq, every envelope field and `extra`. */
export type ChainedEvent = Omit<AuditEventView, 'storedAt' | 'hash'>;

/** The hash the first event chains from: 32 zero bytes. */
export const GENESIS_HASH = Buffer.alloc(32);

const KNOWN_FIELDS = new Set<string>(AUTH_EVENT_FIELD_LIST.map((f) => f.name));
const IN_ARRAY = AUTH_EVENT_FIELD_LIST.filter((f) => f.canonical === 'position');
const IN_EXTRA = AUTH_EVENT_FIELD_LIST.filter((f) => f.canonical === 'extra');

/** A time already in the canonical form (`toISOString()`: UTC, milliseconds), as auth writes it. */
const CANONICAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** An envelope field's value as stored and hashed: ids in lower case, times in UTC with milliseconds, absent as null. */
export function storedValue(field: AuthEventField, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (field.columnType === 'uuid') return String(value).toLowerCase();
  if (field.columnType === 'timestamptz') {
    const time = String(value);
    return CANONICAL_TIME.test(time) ? time : new Date(time).toISOString();
  }
  return value;
}

/** JSON with object keys sorted at every depth: one text per value. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The canonical text of an event (docs/audit.md#canonical-form): a JSON array
 * with a version tag and every stored field in a fixed order; times in UTC
 * ISO-8601 with milliseconds, the id in lower case, unknown envelope fields
 * as key-sorted JSON. The fields and their order are those of
 * `AUTH_EVENT_FIELDS` with `canonical: 'position'`; a field with
 * `canonical: 'extra'` is hashed as a key of `extra` when not null.
 */
function canonicalEvent(e: ChainedEvent): string {
  const fields = e as unknown as Record<string, unknown>;
  const values: unknown[] = ['gatehouse.audit.event.v1', e.seq];
  for (const { name, columnType } of IN_ARRAY) {
    values.push(columnType === 'uuid' ? String(fields[name]).toLowerCase() : fields[name]);
  }
  let extra = e.extra;
  for (const { name } of IN_EXTRA) {
    const value = fields[name];
    if (value !== null && value !== undefined) extra = { ...extra, [name]: value };
  }
  const fixed = JSON.stringify(values);
  return `${fixed.slice(0, -1)},${extra === null ? 'null' : canonicalJson(extra)}]`;
}

/** `sha256(prevHash || canonicalEvent(e))`. */
export function chainHash(prevHash: Buffer, e: ChainedEvent): Buffer {
  return createHash('sha256').update(prevHash).update(canonicalEvent(e), 'utf8').digest();
}

/** Unknown envelope fields, or null when there are none. */
export function extraFields(event: AuthEvent): Record<string, unknown> | null {
  let extra: Record<string, unknown> | null = null;
  for (const key in event) {
    if (KNOWN_FIELDS.has(key)) continue;
    extra ??= {};
    extra[key] = (event as Record<string, unknown>)[key];
  }
  return extra;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function badText(value: unknown): string | null {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return 'contains a NUL character';
    return LONE_SURROGATE.test(value) ? 'contains a lone surrogate' : null;
  }
  if (value === null || typeof value !== 'object') return null;
  for (const key in value) {
    const reason = badText(key) ?? badText((value as Record<string, unknown>)[key]);
    if (reason) return reason;
  }
  return null;
}

/**
 * Why PostgreSQL could not store this event exactly as hashed (a NUL character
 * or a lone surrogate in a text field), or null when it can.
 */
export function unstorableReason(event: AuthEvent): string | null {
  return badText(event);
}
