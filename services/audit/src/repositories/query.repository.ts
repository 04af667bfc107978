import {
  type AuditEventFilters,
  type AuditEventView,
  canonicalUsername,
  GatehouseError,
  isInstant,
} from '@gatehouse/contracts';
import type { Pool } from '@gatehouse/runtime';
import { EVENT_COLUMNS, toChainRow } from './chain.repository.js';

type Row = Parameters<typeof toChainRow>[0] & { stored_at: Date };

/** The columns of a view: the chained fields plus `stored_at`. */
export const VIEW_COLUMNS = `${EVENT_COLUMNS}, stored_at`;

/** Maps an `audit_events` row to the API view. */
export function toView(row: Row): AuditEventView {
  const { id, prevHash: _prev, hash, ...rest } = toChainRow(row);
  return { ...rest, id, storedAt: row.stored_at.toISOString(), hash: hash.toString('hex') };
}

/** Encodes the position after `event` for the next page. */
function encodeCursor(event: Pick<AuditEventView, 'occurredAt' | 'seq'>): string {
  return Buffer.from(JSON.stringify([event.occurredAt, event.seq])).toString('base64url');
}

function decodeCursor(cursor: string): [string, number] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const [at, seq] = Array.isArray(value) && value.length === 2 ? value : [];
    if (typeof at === 'string' && isInstant(at) && Number.isSafeInteger(seq) && seq >= 0) return [at, seq];
  } catch {
    // fall through to the error below
  }
  throw new GatehouseError('validation_failed', 'querystring/cursor is not a cursor this API returned');
}

const EQUALS: Array<[keyof AuditEventFilters, string]> = [
  ['userId', 'user_id'],
  ['username', 'username'],
  ['type', 'type'],
  ['ip', 'ip'],
  ['sessionId', 'session_id'],
];

/** The WHERE clause and parameters of a filter set (and an optional keyset cursor). */
export function whereClause(filters: AuditEventFilters, cursor?: string): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (n: number) => string, value: unknown) => {
    params.push(value);
    conditions.push(sql(params.length));
  };
  for (const [key, column] of EQUALS) {
    const value =
      key === 'username' && filters.username !== undefined ? canonicalUsername(filters.username) : filters[key];
    if (value !== undefined) add((n) => `${column} = $${n}`, value);
  }
  if (filters.from) add((n) => `occurred_at >= $${n}`, filters.from);
  if (filters.to) add((n) => `occurred_at < $${n}`, filters.to);
  if (cursor) {
    const [at, seq] = decodeCursor(cursor);
    params.push(at, seq);
    // The plain bound on occurred_at (implied by the row comparison) lets the planner skip newer month partitions.
    conditions.push(
      `occurred_at <= $${params.length - 1}::timestamptz`,
      `(occurred_at, seq) < ($${params.length - 1}::timestamptz, $${params.length}::bigint)`,
    );
  }
  return { sql: conditions.length ? `WHERE ${conditions.join(' AND ')}` : '', params };
}

/**
 * One page of events, newest first (by `occurredAt`, then `seq`), after a
 * keyset cursor: pages never skip or repeat rows, even while rows arrive.
 */
export async function listEvents(
  pool: Pool,
  query: AuditEventFilters & { cursor?: string; limit?: number },
): Promise<{ events: AuditEventView[]; nextCursor: string | null }> {
  const limit = query.limit ?? 100;
  const where = whereClause(query, query.cursor);
  const { rows } = await pool.query<Row>(
    `SELECT ${VIEW_COLUMNS} FROM audit_events ${where.sql} ORDER BY occurred_at DESC, seq DESC LIMIT ${limit + 1}`,
    where.params,
  );
  const events = rows.slice(0, limit).map(toView);
  const last = events.at(-1);
  return { events, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

/** One event by its id, or null. */
export async function getEvent(pool: Pool, id: string): Promise<AuditEventView | null> {
  const { rows } = await pool.query<Row>(`SELECT ${VIEW_COLUMNS} FROM audit_events WHERE event_id = $1`, [id]);
  return rows[0] ? toView(rows[0]) : null;
}

/** Events with seq > `afterSeq`, oldest first (the live feed). */
export async function eventsAfter(pool: Pool, afterSeq: number, limit: number): Promise<AuditEventView[]> {
  const { rows } = await pool.query<Row>(
    `SELECT ${VIEW_COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2`,
    [afterSeq, limit],
  );
  return rows.map(toView);
}
