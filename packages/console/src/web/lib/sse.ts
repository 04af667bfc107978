import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { AuditAlert, AuditEvent } from './api-types.js';

/** What the live tail shows for one server-sent message. */
export type LiveItem =
  | { kind: 'event'; id: string | undefined; event: AuditEvent }
  | { kind: 'alert'; id: string | undefined; alert: AuditAlert }
  | { kind: 'error'; id: string | undefined; error: string };

/** Callbacks of {@link readSse}. */
export interface SseHandlers {
  onMessage(message: EventSourceMessage): void;
  onRetry?(milliseconds: number): void;
}

/**
 * Feeds a `text/event-stream` body (from `fetch`, which unlike `EventSource` can send
 * an `Authorization` header) through the SSE parser until the body ends or `signal`
 * aborts. Comments (heartbeats) are ignored.
 */
export async function readSse(
  body: ReadableStream<Uint8Array>,
  handlers: SseHandlers,
  signal?: AbortSignal,
): Promise<void> {
  const parser = createParser({
    onEvent: (message) => handlers.onMessage(message),
    onRetry: (ms) => handlers.onRetry?.(ms),
  });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  const cancel = () => {
    reader.cancel().catch(() => undefined);
  };
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
    parser.feed(decoder.decode());
  } finally {
    signal?.removeEventListener('abort', cancel);
    reader.releaseLock();
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Turns one message into a row: `event: alert` carries an alert, `event: error` the
 * server's error code (it then ends the stream and the tail reconnects), any other
 * event name (`audit-event`, or none) an audit event. Returns `null` for data that is
 * not a JSON object of the expected kind, so one bad message never stops the tail.
 */
export function toLiveItem(message: EventSourceMessage): LiveItem | null {
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    return null;
  }
  if (!isObject(data)) return null;
  if (message.event === 'error') {
    return { kind: 'error', id: message.id, error: typeof data.error === 'string' ? data.error : 'unknown_error' };
  }
  if (message.event === 'alert') {
    return typeof data.rule === 'string'
      ? { kind: 'alert', id: message.id, alert: data as unknown as AuditAlert }
      : null;
  }
  if (typeof data.type !== 'string' || typeof data.id !== 'string') return null;
  return { kind: 'event', id: message.id, event: data as unknown as AuditEvent };
}

/** Adds newer items at the top and keeps at most `max` (the oldest fall off). */
export function prependLive<T>(items: readonly T[], added: readonly T[], max: number): T[] {
  return [...[...added].reverse(), ...items].slice(0, max);
}

/** The delay before reconnect attempt `attempt` (0-based): doubling from `baseMs`, capped at `maxMs`. */
export function reconnectDelay(attempt: number, baseMs = 1_000, maxMs = 15_000): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
}
