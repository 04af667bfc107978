import { type AuditReadView, GatehouseError } from '@gatehouse/contracts';
import type { Pool } from '@gatehouse/runtime';

/** Who read the trail, how, with which filters. */
export interface ReadRecord {
  userId: string | null;
  username: string | null;
  sessionId: string | null;
  requestId: string;
  method: string;
  route: string;
  params: Record<string, unknown>;
}

/**
 * JSON for a jsonb column: jsonb cannot hold U+0000, which a client can put in
 * any path or query parameter, so it is recorded as U+FFFD (a read that
 * cannot be recorded would otherwise be refused with 503).
 */
function jsonbText(value: unknown): string {
  return JSON.stringify(value).replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd');
}

/** Records one call to the query API. */
export async function recordRead(pool: Pool, read: ReadRecord): Promise<void> {
  await pool.query(
    `INSERT INTO audit_reads (user_id, username, session_id, request_id, method, route, params)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [read.userId, read.username, read.sessionId, read.requestId, read.method, read.route, jsonbText(read.params)],
  );
}

/** Recorded reads, newest first, optionally of one reader, after a cursor. */
export async function listReads(
  pool: Pool,
  query: { userId?: string; cursor?: string; limit?: number },
): Promise<{ reads: AuditReadView[]; nextCursor: string | null }> {
  const limit = query.limit ?? 100;
  const params: unknown[] = [];
  const conditions: string[] = [];
  if (query.userId) conditions.push(`user_id = $${params.push(query.userId)}`);
  if (query.cursor) {
    if (!/^\d{1,18}$/.test(query.cursor)) {
      throw new GatehouseError('validation_failed', 'querystring/cursor is not a cursor this API returned');
    }
    conditions.push(`id < $${params.push(query.cursor)}`);
  }
  const { rows } = await pool.query(
    `SELECT id, at, user_id, username, session_id, request_id, method, route, params FROM audit_reads
     ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit + 1}`,
    params,
  );
  const reads = rows.slice(0, limit).map((r) => ({
    id: Number(r.id),
    at: (r.at as Date).toISOString(),
    userId: r.user_id,
    username: r.username,
    sessionId: r.session_id,
    requestId: r.request_id,
    method: r.method,
    route: r.route,
    params: r.params,
  }));
  const last = reads.at(-1);
  return { reads, nextCursor: rows.length > limit && last ? String(last.id) : null };
}
