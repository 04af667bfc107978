import type { AuthEvent } from '@gatehouse/contracts';
import type { Pool, PoolClient } from '@gatehouse/runtime';
import { type ChainedEvent, chainHash, extraFields } from '../domain/canonical.js';

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
}

/** Maps an envelope to the chained fields, before its seq is known. */
export function toChained(event: AuthEvent, seq: number): ChainedEvent {
  return {
    seq,
    eventId: event.id.toLowerCase(),
    type: event.type,
    version: event.version,
    occurredAt: new Date(event.occurredAt).toISOString(),
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

const INSERT_EVENTS = `
INSERT INTO audit_events (seq, event_id, type, version, occurred_at, source, user_id, username, session_id, ip,
  user_agent, reason, traceparent, extra, stream_id, stored_at, prev_hash, hash)
SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::int[], $5::timestamptz[], $6::text[], $7::text[],
  $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::jsonb[], $15::text[],
  $16::timestamptz[], $17::bytea[], $18::bytea[])
ON CONFLICT (event_id) DO NOTHING`;

/** Raised inside the transaction when the optimistic insert met an event already stored. */
class DuplicatesFound extends Error {}

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

/** Assigns seq and hashes under the head lock, inserts, moves the head and commits. */
async function insertChained(
  client: PoolClient,
  fresh: IncomingEvent[],
  storedAt: Date,
  dedupe: boolean,
): Promise<BatchResult> {
  const head = await client.query<{ seq: string; hash: Buffer }>(
    'SELECT seq, hash FROM audit_chain_head WHERE id FOR UPDATE',
  );
  const unique = dedupe ? await newEvents(client, fresh) : distinct(fresh);
  let seq = Number(head.rows[0]?.seq ?? 0);
  let prev = head.rows[0]?.hash ?? Buffer.alloc(32);
  const stored: BatchResult['stored'] = [];
  const prevs: Buffer[] = [];
  for (const item of unique) {
    seq += 1;
    const chained = toChained(item.event, seq);
    const hash = chainHash(prev, chained);
    prevs.push(prev);
    stored.push({ ...chained, hash });
    prev = hash;
  }
  if (stored.length > 0) {
    const col = <T>(f: (e: BatchResult['stored'][number], i: number) => T) => stored.map(f);
    const result = await client.query(INSERT_EVENTS, [
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
      col(() => storedAt.toISOString()),
      prevs,
      col((e) => e.hash),
    ]);
    // A conflict would leave a hole in seq: roll back and retry with the duplicates dropped first.
    if (result.rowCount !== stored.length) throw new DuplicatesFound();
    // Literal values (an integer and hex digits this code made) let the head update and COMMIT share a round trip.
    await client.query(
      `UPDATE audit_chain_head SET seq = ${seq}, hash = '\\x${prev.toString('hex')}' WHERE id; COMMIT`,
    );
  } else {
    await client.query('COMMIT');
  }
  return { stored, duplicates: fresh.length - unique.length };
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

/**
 * Stores one batch in one transaction: events already stored are dropped,
 * the rest get the next seq numbers and chain hashes under the chain-head
 * row lock (so several consumers still produce a gap-free chain in commit
 * order), and dead letters are recorded beside them.
 */
export async function storeBatch(
  pool: Pool,
  batch: { events: IncomingEvent[]; deadLetters: DeadLetter[]; consumer: string; now: Date },
): Promise<BatchResult> {
  // Optimistic first (duplicates are rare: only redeliveries after a crash), then with a duplicate check.
  try {
    return await storeOnce(pool, batch, false);
  } catch (err) {
    if (!(err instanceof DuplicatesFound)) throw err;
    return await storeOnce(pool, batch, true);
  }
}

async function storeOnce(
  pool: Pool,
  batch: { events: IncomingEvent[]; deadLetters: DeadLetter[]; consumer: string; now: Date },
  dedupe: boolean,
): Promise<BatchResult> {
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
