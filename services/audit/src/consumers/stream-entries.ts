import { EVENT_FIELD, parseAuthEvent } from '@gatehouse/contracts';
import { unstorableReason } from '../domain/canonical.js';
import type { IncomingEvent } from '../domain/chain.js';
import type { DeadLetter } from '../repositories/events.repository.js';

/** One entry as XREADGROUP / XAUTOCLAIM return it (fields null when the entry was deleted). */
export type RawEntry = [id: string, fields: string[] | null];

/** A batch split into what to store, what to dead-letter and what to just acknowledge. */
export interface SortedBatch {
  events: IncomingEvent[];
  deadLetters: DeadLetter[];
  ids: string[];
}

function fieldValue(fields: string[], name: string): string | null {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1] ?? null;
  return null;
}

/**
 * Sorts raw entries: an entry is poison when it has no `event` field, is not
 * a valid envelope, cannot be stored as hashed, or has been delivered more
 * than `maxDeliveries` times (`deliveries` is known only for claimed entries).
 */
export function sortEntries(
  entries: RawEntry[],
  options: { maxDeliveries: number; deliveries?: Map<string, number> },
): SortedBatch {
  const sorted: SortedBatch = { events: [], deadLetters: [], ids: [] };
  for (const [streamId, fields] of entries) {
    sorted.ids.push(streamId);
    if (fields === null) continue;
    const payload = fieldValue(fields, EVENT_FIELD);
    const deliveries = options.deliveries?.get(streamId) ?? 1;
    const dead = (reason: string) => sorted.deadLetters.push({ streamId, payload, reason, deliveries });
    if (deliveries > options.maxDeliveries) {
      dead(`failed ${deliveries - 1} deliveries`);
      continue;
    }
    if (payload === null) {
      dead(`no "${EVENT_FIELD}" field`);
      continue;
    }
    const parsed = parseAuthEvent(payload);
    if (!parsed.ok) {
      dead(`invalid envelope: ${parsed.reason}`);
      continue;
    }
    // A NUL or a lone surrogate can only come from a \u escape: valid JSON has no raw NUL, and
    // text decoded from UTF-8 has no lone surrogate. Most payloads have no escape at all.
    const unstorable = payload.includes('\\u') ? unstorableReason(parsed.event) : null;
    if (unstorable) dead(`unstorable envelope: ${unstorable}`);
    else sorted.events.push({ streamId, event: parsed.event });
  }
  return sorted;
}

/** SQLSTATE classes that mean "this data is refused", not "the database is away". */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^(22|23|54)/.test(code);
}
