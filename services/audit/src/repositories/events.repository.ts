import type { AuthEvent } from '@gatehouse/contracts';
import type { Pool, PoolClient } from '@gatehouse/runtime';
import pg from 'pg';
import { type ChainedEvent, chainHash, extraFields, GENESIS_HASH } from '../domain/canonical.js';

/** One parsed stream entry ready to be stored. */
export interface IncomingEvent {
  streamId: string;
  event: AuthEvent;
}

/** One entry that goes to the dead letters instead. */
export interface DeadLetter {
  streamId: string;
  payload: string | null;
  reason: string;
  deliveries: number;
}

/** What one batch transaction did. */
export interface BatchResult {
  stored: Array<ChainedEvent & { hash: Buffer }>;
  duplicates: number;
  /** The chain head this batch left (known when it had events to store). */
  head?: ChainHead;
}

/** The newest event of the chain: the next one gets `seq + 1` and chains from `hash`. */
export interface ChainHead {
  seq: number;
  hash: Buffer;
}

/** A batch's events numbered and hashed after an assumed head, before its transaction runs. */
export interface ChainedBatch {
  from: ChainHead;
  unique: IncomingEvent[];
  stored: BatchResult['stored'];
  prevs: Buffer[];
}

/** Numbers and hashes `events` (duplicates within them dropped) after `from`. */
export function chainAfter(from: ChainHead, events: IncomingEvent[]): ChainedBatch {
  const unique = distinct(events);
  let { seq, hash: prev } = from;
  const stored: BatchResult['stored'] = [];
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

/** A time already in the canonical form (`toISOString()`: UTC, milliseconds), as auth writes it. */
const CANONICAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Maps an envelope to the chained fields, before its seq is known. */
export function toChained(event: AuthEvent, seq: number): ChainedEvent {
  return {
    seq,
    eventId: event.id.toLowerCase(),
    type: event.type,
    version: event.version,
    occurredAt: CANONICAL_TIME.test(event.occurredAt) ? event.occurredAt : new Date(event.occurredAt).toISOString(),
    source: event.source,
    subject: event.subject,
    username: event.username,
    sessionId: event.sessionId,
    ip: event.ip,
    userAgent: event.userAgent,
    reason: event.reason,
    traceparent: event.traceparent,
    extra: extraFields(event),
  };
}

const INSERT_COLUMNS = `INSERT INTO audit_events (seq, event_id, type, version, occurred_at, source, user_id, username,
  session_id, ip, user_agent, reason, traceparent, extra, stream_id, stored_at, prev_hash, hash)
SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::int[], $5::timestamptz[], $6::text[], $7::text[],
  $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::jsonb[], $15::text[],
  $16::timestamptz[], $17::bytea[], $18::bytea[])`;

// The partition key is part of every unique constraint: see eventIdFixesPartition for why this stays idempotent.
const INSERT_EVENTS = `${INSERT_COLUMNS} ON CONFLICT (event_id, occurred_at) DO NOTHING`;

// Rows only when the head moved; a duplicate event fails the whole statement (head included).
const INSERT_AFTER_HEAD = `WITH moved AS (
  UPDATE audit_chain_head SET seq = $19, hash = $20 WHERE id AND seq = $21 AND hash = $22 RETURNING 1
)
${INSERT_COLUMNS} WHERE EXISTS (SELECT 1 FROM moved)`;

const UNIQUE_VIOLATION = '23505';

/** Raised inside the transaction when the optimistic insert met an event already stored. */
class DuplicatesFound extends Error {}

/**
 * Whether the event's id is a UUIDv7 whose timestamp is its `occurredAt` (as
 * `createAuthEvent` makes every id). Then the id fixes the month partition,
 * and the unique `(event_id, occurred_at)` constraint is a unique event id: a
 * second copy always meets the first in the same partition. Any other event
 * is checked against every partition before it is stored.
 */
function eventIdFixesPartition(event: AuthEvent): boolean {
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

async function newEvents(client: PoolClient, incoming: IncomingEvent[]): Promise<IncomingEvent[]> {
  const ids = incoming.map((i) => i.event.id.toLowerCase());
  const { rows } = await client.query<{ id: string }>(
    'SELECT event_id::text AS id FROM audit_events WHERE event_id = ANY($1::uuid[])',
    [ids],
  );
  const seen = new Set(rows.map((r) => r.id));
  return incoming.filter((i) => {
    const id = i.event.id.toLowerCase();
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** The 18 column arrays of {@link INSERT_COLUMNS} for a chained batch. */
function eventColumns({ unique, stored, prevs }: ChainedBatch, storedAt: Date): unknown[] {
  const col = <T>(f: (e: BatchResult['stored'][number], i: number) => T) => stored.map(f);
  const at = storedAt.toISOString();
  return [
    col((e) => e.seq),
    col((e) => e.eventId),
    col((e) => e.type),
    col((e) => e.version),
    col((e) => e.occurredAt),
    col((e) => e.source),
    col((e) => e.subject),
    col((e) => e.username),
    col((e) => e.sessionId),
    col((e) => e.ip),
    col((e) => e.userAgent),
    col((e) => e.reason),
    col((e) => e.traceparent),
    col((e) => (e.extra === null ? null : JSON.stringify(e.extra))),
    col((_e, i) => unique[i]?.streamId),
    col(() => at),
    prevs,
    col((e) => e.hash),
  ];
}

/** A chained batch and the values of its one-statement insert, serialized already. */
export interface ReadyBatch {
  chain: ChainedBatch;
  values: unknown[];
}

// pg's own value serializer (arrays become PostgreSQL array literals); pg passes strings through unchanged.
const { prepareValue } = (pg as unknown as { utils: { prepareValue(value: unknown): unknown } }).utils;

/**
 * Serializes the insert of a chained batch now (stored at `storedAt`), so
 * that sending it later costs only the write: the consumer does this while
 * the batch before is being stored.
 */
export function readyToInsert(chain: ChainedBatch, storedAt: Date): ReadyBatch {
  const to = headAfter(chain);
  const values = [...eventColumns(chain, storedAt), to.seq, to.hash, chain.from.seq, chain.from.hash];
  return { chain, values: values.map((value) => prepareValue(value)) };
}

/**
 * Stores a chained batch in one statement, so one round trip: the head moves
 * only if it is still where the batch was chained from (a concurrent writer
 * waits for the row lock, then sees the head moved and matches nothing), and
 * the rows go in only if it moved. `undefined` when the head was elsewhere or
 * an event was already stored: nothing was written, and the locked path
 * takes over.
 */
async function insertAfterHead(pool: Pool, { chain, values }: ReadyBatch): Promise<BatchResult | undefined> {
  let inserted: number | null;
  try {
    ({ rowCount: inserted } = await pool.query(INSERT_AFTER_HEAD, values));
  } catch (err) {
    if ((err as { code?: unknown }).code === UNIQUE_VIOLATION) return undefined;
    throw err;
  }
  if (inserted !== chain.stored.length) return undefined;
  return { stored: chain.stored, duplicates: 0, head: headAfter(chain) };
}

/** Assigns seq and hashes under the head lock, inserts, moves the head and commits. */
async function insertChained(
  client: PoolClient,
  fresh: IncomingEvent[],
  storedAt: Date,
  dedupe: boolean,
): Promise<BatchResult> {
  const row = (
    await client.query<{ seq: string; hash: Buffer }>('SELECT seq, hash FROM audit_chain_head WHERE id FOR UPDATE')
  ).rows[0];
  const chain = chainAfter(
    { seq: Number(row?.seq ?? 0), hash: row?.hash ?? GENESIS_HASH },
    dedupe ? await newEvents(client, fresh) : fresh,
  );
  const { unique, stored } = chain;
  const { seq, hash: prev } = headAfter(chain);
  if (stored.length > 0) {
    const result = await client.query(INSERT_EVENTS, eventColumns(chain, storedAt));
    // A conflict would leave a hole in seq: roll back and retry with the duplicates dropped first.
    if (result.rowCount !== stored.length) throw new DuplicatesFound();
    // Literal values (an integer and hex digits this code made) let the head update and COMMIT share a round trip.
    await client.query(
      `UPDATE audit_chain_head SET seq = ${seq}, hash = '\\x${prev.toString('hex')}' WHERE id; COMMIT`,
    );
  } else {
    await client.query('COMMIT');
  }
  return { stored, duplicates: fresh.length - unique.length, head: { seq, hash: prev } };
}

async function insertDeadLetters(client: PoolClient, dead: DeadLetter[], consumer: string): Promise<void> {
  if (dead.length === 0) return;
  await client.query(
    `INSERT INTO audit_dead_letters (stream_id, payload, reason, deliveries, consumer)
     SELECT s, p, r, d, $5 FROM unnest($1::text[], $2::text[], $3::text[], $4::int[]) AS t(s, p, r, d)
     ON CONFLICT (stream_id) DO NOTHING`,
    [
      dead.map((d) => d.streamId),
      dead.map((d) => d.payload),
      dead.map((d) => d.reason),
      dead.map((d) => d.deliveries),
      consumer,
    ],
  );
}

/** One batch to store; `ready` is its events chained in advance (see {@link readyToInsert}). */
export interface StoreBatchInput {
  events: IncomingEvent[];
  deadLetters: DeadLetter[];
  consumer: string;
  now: Date;
  ready?: ReadyBatch;
}

/**
 * Stores one batch in one transaction: events already stored are dropped,
 * the rest get the next seq numbers and chain hashes under the chain-head
 * row lock (so several consumers still produce a gap-free chain in commit
 * order), and dead letters are recorded beside them.
 */
export async function storeBatch(pool: Pool, batch: StoreBatchInput): Promise<BatchResult> {
  const { ready } = batch;
  if (!batch.events.every((e) => eventIdFixesPartition(e.event))) return await storeOnce(pool, batch, true);
  if (ready !== undefined && ready.chain.stored.length > 0 && batch.deadLetters.length === 0) {
    const stored = await insertAfterHead(pool, ready);
    if (stored !== undefined) return { ...stored, duplicates: batch.events.length - ready.chain.unique.length };
  }
  // Optimistic first (duplicates are rare: only redeliveries after a crash), then with a duplicate check.
  try {
    return await storeOnce(pool, batch, false);
  } catch (err) {
    if (!(err instanceof DuplicatesFound)) throw err;
    return await storeOnce(pool, batch, true);
  }
}

async function storeOnce(pool: Pool, batch: StoreBatchInput, dedupe: boolean): Promise<BatchResult> {
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    await client.query('BEGIN');
    await insertDeadLetters(client, batch.deadLetters, batch.consumer);
    if (batch.events.length === 0) {
      await client.query('COMMIT');
      return { stored: [], duplicates: 0 };
    }
    return await insertChained(client, batch.events, batch.now, dedupe);
  } catch (err) {
    if (!(err instanceof DuplicatesFound)) failure = err as Error;
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    // A client that failed mid-transaction may have a broken connection: destroy it rather than reuse it.
    client.release(failure);
  }
}

/** The chain head as stored now. */
export async function readChainHead(pool: Pool): Promise<ChainHead> {
  const { rows } = await pool.query<{ seq: string; hash: Buffer }>('SELECT seq, hash FROM audit_chain_head WHERE id');
  return { seq: Number(rows[0]?.seq ?? 0), hash: rows[0]?.hash ?? GENESIS_HASH };
}
