import { AUTH_EVENTS_STREAM, type AuthEventInput, createAuthEvent, EVENT_FIELD } from '@gatehouse/contracts';
import { activeTraceparent } from '@gatehouse/runtime';
import type { RedisContext } from '../redis/context.js';

/** Where a request came from, as recorded in sessions and events. */
export interface ClientInfo {
  ip: string;
  userAgent: string | null;
  traceparent: string | null;
}

/** The service name every auth event carries in `source`. */
const EVENT_SOURCE = 'auth';

/**
 * Serialises an envelope for the stream's `event` field. `traceparent` is the
 * active span's when the service is traced (the audit consumer links to it),
 * else the one the request carried. `extra` adds envelope fields a type
 * defines beyond the common ones (`factor` of the `auth.mfa.*` events).
 */
export function eventJson(
  input: Omit<AuthEventInput, 'source'> & { source?: string },
  extra: Record<string, unknown> = {},
): string {
  const traceparent = activeTraceparent() ?? input.traceparent ?? null;
  return JSON.stringify({ ...createAuthEvent({ source: EVENT_SOURCE, ...input, traceparent }), ...extra });
}

/** Event fields that describe the client. */
export function clientFields(client: ClientInfo | undefined): Pick<AuthEventInput, 'ip' | 'userAgent' | 'traceparent'> {
  return { ip: client?.ip ?? null, userAgent: client?.userAgent ?? null, traceparent: client?.traceparent ?? null };
}

/** Appends one event to `auth-events` (no MAXLEN: audit trims what it has stored). */
export async function publishEvent(redis: RedisContext, json: string): Promise<void> {
  await redis.run('ghPublish', [AUTH_EVENTS_STREAM], [EVENT_FIELD, json]);
}
