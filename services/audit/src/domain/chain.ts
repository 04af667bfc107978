import { AUTH_EVENT_FIELD_LIST, type AuthEvent } from '@gatehouse/contracts';
import { type ChainedEvent, chainHash, extraFields, storedValue } from './canonical.js';

/** One parsed stream entry ready to be stored. */
export interface IncomingEvent {
  streamId: string;
  event: AuthEvent;
}

/** An event numbered and hashed into the chain. */
export type HashedEvent = ChainedEvent & { hash: Buffer };

/** The newest event of the chain: the next one gets `seq + 1` and chains from `hash`. */
export interface ChainHead {
  seq: number;
  hash: Buffer;
}

/** A batch's events numbered and hashed after an assumed head, before its transaction runs. */
export interface ChainedBatch {
  from: ChainHead;
  unique: IncomingEvent[];
  stored: HashedEvent[];
  prevs: Buffer[];
}

/** Numbers and hashes `events` (duplicates within them dropped) after `from`. */
export function chainAfter(from: ChainHead, events: IncomingEvent[]): ChainedBatch {
  const unique = distinct(events);
  let { seq, hash: prev } = from;
  const stored: HashedEvent[] = [];
  const prevs: Buffer[] = [];
  for (const item of unique) {
    seq += 1;
    const chained = toChained(item.event, seq);
    const hash = chainHash(prev, chained);
    prevs.push(prev);
    stored.push(Object.assign(chained, { hash }));
    prev = hash;
  }
  return { from, unique, stored, prevs };
}

/** The head a chained batch leaves behind once stored. */
export function headAfter(batch: ChainedBatch): ChainHead {
  const last = batch.stored.at(-1);
  return last === undefined ? batch.from : { seq: last.seq, hash: last.hash };
}

/** Whether two heads are the same point of the chain. */
export const sameHead = (a: ChainHead, b: ChainHead) => a.seq === b.seq && a.hash.equals(b.hash);

/** Maps an envelope to the chained fields, before its seq is known. */
export function toChained(event: AuthEvent, seq: number): ChainedEvent {
  const chained: Record<string, unknown> = { seq };
  for (const field of AUTH_EVENT_FIELD_LIST) chained[field.name] = storedValue(field, event[field.name]);
  chained.extra = extraFields(event);
  return chained as ChainedEvent;
}

/**
 * Whether the event's id is a UUIDv7 whose timestamp is its `occurredAt` (as
 * `createAuthEvent` makes every id). Then the id fixes the month partition,
 * and the unique `(event_id, occurred_at)` constraint is a unique event id: a
 * second copy always meets the first in the same partition. Any other event
 * is checked against every partition before it is stored.
 */
export function eventIdFixesPartition(event: AuthEvent): boolean {
  const hex = event.id.replaceAll('-', '');
  return hex[12] === '7' && Number.parseInt(hex.slice(0, 12), 16) === Date.parse(event.occurredAt);
}

function distinct(incoming: IncomingEvent[]): IncomingEvent[] {
  const seen = new Set<string>();
  return incoming.filter((i) => {
    const id = i.event.id.toLowerCase();
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
