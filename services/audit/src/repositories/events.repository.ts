import { AUTH_EVENT_FIELD_LIST } from '@gatehouse/contracts';
import type { Pool, PoolClient } from '@gatehouse/runtime';
import { prepareValue } from '../adapters/pg.js';
import { GENESIS_HASH } from '../domain/canonical.js';
import {
  type ChainedBatch,
  type ChainHead,
  chainAfter,
  eventIdFixesPartition,
  type HashedEvent,
  headAfter,
  type IncomingEvent,
} from '../domain/chain.js';

/** One entry that goes to the dead letters instead. */
export interface DeadLetter {
  streamId: string;
  payload: string | null;
  reason: string;
  deliveries: number;
}

/** What one batch transaction did. */
export interface BatchResult {
  stored: HashedEvent[];
  duplicates: number;
  /** The chain head this batch left (known when it had events to store). */
  head?: ChainHead;
}

/** The inserted columns and their types, in the order of {@link eventColumns}. */
const INSERTED: Array<[column: string, type: string]> = [
  ['seq', 'bigint'],
  ...AUTH_EVENT_FIELD_LIST.map((f): [string, string] => [f.column, f.columnType]),
  ['extra', 'jsonb'],
  ['stream_id', 'text'],
  ['stored_at', 'timestamptz'],
  ['prev_hash', 'bytea'],
  ['hash', 'bytea'],
];

const INSERT_COLUMNS = `INSERT INTO audit_events (${INSERTED.map(([column]) => column).join(', ')})
SELECT * FROM unnest(${INSERTED.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')})`;

// The partition key is part of every unique constraint: see eventIdFixesPartition (domain/chain.ts) for why this stays idempotent.
const INSERT_EVENTS = `${INSERT_COLUMNS} ON CONFLICT (event_id, occurred_at) DO NOTHING`;

// Rows only when the head moved; a duplicate event fails the whole statement (head included).
// The head parameters (the new seq and hash, then the assumed ones) follow the column arrays.
const n = INSERTED.length;
const INSERT_AFTER_HEAD = `WITH moved AS (
  UPDATE audit_chain_head SET seq = $${n + 1}, hash = $${n + 2} WHERE id AND seq = $${n + 3} AND hash = $${n + 4} RETURNING 1
)
${INSERT_COLUMNS} WHERE EXISTS (SELECT 1 FROM moved)`;

const UNIQUE_VIOLATION = '23505';

/** Raised inside the transaction when the optimistic insert met an event already stored. */
class DuplicatesFound extends Error {}

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

/** The column arrays of {@link INSERT_COLUMNS} for a chained batch. */
function eventColumns({ unique, stored, prevs }: ChainedBatch, storedAt: Date): unknown[] {
  const col = <T>(f: (e: HashedEvent, i: number) => T) => stored.map(f);
  const at = storedAt.toISOString();
  return [
    col((e) => e.seq),
    ...AUTH_EVENT_FIELD_LIST.map((f) => col((e) => e[f.name])),
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
