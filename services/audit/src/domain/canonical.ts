import { createHash } from 'node:crypto';
import type { AuthEvent } from '@gatehouse/contracts';

/** The fields of one stored event that the chain hash covers. */
export interface ChainedEvent {
  seq: number;
  eventId: string;
  type: string;
  version: number;
  occurredAt: string;
  source: string;
  subject: string | null;
  username: string | null;
  sessionId: string | null;
  ip: string | null;
  userAgent: string | null;
  reason: string | null;
  traceparent: string | null;
  extra: Record<string, unknown> | null;
}

/** The hash the first event chains from: 32 zero bytes. */
export const GENESIS_HASH = Buffer.alloc(32);

const KNOWN_FIELDS = new Set([
  'id',
  'type',
  'version',
  'occurredAt',
  'source',
  'subject',
  'username',
  'sessionId',
  'ip',
  'userAgent',
  'reason',
  'traceparent',
]);

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
 * as key-sorted JSON.
 */
function canonicalEvent(e: ChainedEvent): string {
  const fixed = JSON.stringify([
    'gatehouse.audit.event.v1',
    e.seq,
    e.eventId.toLowerCase(),
    e.type,
    e.version,
    e.occurredAt,
    e.source,
    e.subject,
    e.username,
    e.sessionId,
    e.ip,
    e.userAgent,
    e.reason,
    e.traceparent,
  ]);
  return `${fixed.slice(0, -1)},${e.extra === null ? 'null' : canonicalJson(e.extra)}]`;
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
