import type { AuditAlertsQuery, AuditAlertView } from '@gatehouse/contracts';
import type { Pool, PoolClient } from '@gatehouse/runtime';
import { type DetectionRule, windowOf } from '../domain/detection-rules.js';

interface AlertRow {
  id: string;
  rule: AuditAlertView['rule'];
  subject: string;
  subject_kind: AuditAlertView['subjectKind'];
  window_start: Date;
  window_end: Date;
  first_at: Date;
  last_at: Date;
  event_ids: string[];
  details: Record<string, unknown>;
  created_at: Date;
}

const ALERT_COLUMNS = `id, rule, subject, subject_kind, window_start, window_end, first_at, last_at,
  event_ids::text[] AS event_ids, details, created_at`;

function toAlertView(r: AlertRow): AuditAlertView {
  return {
    id: Number(r.id),
    rule: r.rule,
    subject: r.subject,
    subjectKind: r.subject_kind,
    windowStart: r.window_start.toISOString(),
    windowEnd: r.window_end.toISOString(),
    firstAt: r.first_at.toISOString(),
    lastAt: r.last_at.toISOString(),
    eventIds: r.event_ids,
    details: r.details,
    createdAt: r.created_at.toISOString(),
  };
}

interface Firing {
  subject: string;
  seq: string;
  at: Date;
  n: number;
  ids: string[];
  first_at: Date;
}

async function fire(client: PoolClient, rule: DetectionRule, after: number, until: number): Promise<AuditAlertView[]> {
  const params = [after, until, rule.windowSeconds, rule.threshold, rule.rule];
  const { rows } = await client.query<Firing>(rule.sql, params);
  const seen = new Set<string>();
  const created: AuditAlertView[] = [];
  for (const f of rows) {
    const window = windowOf(f.at, rule.windowSeconds);
    const key = `${f.subject}\u0000${window.start.getTime()}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const details = { count: f.n, threshold: rule.threshold, windowSeconds: rule.windowSeconds };
    const inserted = await client.query<AlertRow>(
      `INSERT INTO audit_alerts (rule, subject, subject_kind, window_start, window_end, first_at, last_at, event_ids, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::uuid[], $9)
       ON CONFLICT (rule, subject, window_start) DO NOTHING RETURNING ${ALERT_COLUMNS}`,
      [rule.rule, f.subject, rule.subjectKind, window.start, window.end, f.first_at, f.at, f.ids, details],
    );
    if (inserted.rows[0]) created.push(toAlertView(inserted.rows[0]));
  }
  return created;
}

/** How much one detection run may do: `batch` seqs per transaction, at most `maxBatches` of them. */
export interface DetectionBudget {
  batch?: number;
  maxBatches?: number;
  /** Checked between batches: true stops the run there (SIGTERM). */
  isStopping?: () => boolean;
}

/**
 * Runs every rule over the events stored since the last run, by keyset on
 * seq: at most `maxBatches` transactions of `batch` seqs each, so a run's
 * memory and time are bounded whatever the backlog, and the next run resumes
 * where this one stopped. Each new firing is stored once (UNIQUE rule,
 * subject, window), and a trigger whose window already has its alert is not
 * evaluated again (a dense burst costs one evaluation per window, not one
 * per event). The read position moves in the same transaction as the
 * alerts, so a crash neither skips nor repeats a range, and concurrent runs
 * queue on the position's row lock.
 */
export async function runDetections(
  pool: Pool,
  rules: DetectionRule[],
  budget: DetectionBudget = {},
): Promise<{ alerts: AuditAlertView[]; lastSeq: number; headSeq: number }> {
  const batch = budget.batch ?? 1000;
  const alerts: AuditAlertView[] = [];
  let position = { lastSeq: 0, headSeq: 0 };
  for (let n = 0; n < (budget.maxBatches ?? 20) && !budget.isStopping?.(); n++) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const state = await client.query<{ last_seq: string }>(
        'SELECT last_seq FROM audit_detection_state WHERE id FOR UPDATE',
      );
      const head = await client.query<{ seq: string }>('SELECT seq FROM audit_chain_head WHERE id');
      const after = Number(state.rows[0]?.last_seq ?? 0);
      const headSeq = Number(head.rows[0]?.seq ?? 0);
      const until = Math.min(headSeq, after + batch);
      position = { lastSeq: Math.max(after, until), headSeq };
      if (until <= after) {
        await client.query('COMMIT');
        break;
      }
      for (const rule of rules) alerts.push(...(await fire(client, rule, after, until)));
      await client.query('UPDATE audit_detection_state SET last_seq = $1 WHERE id', [until]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
  return { alerts, ...position };
}

/** Alerts newest first, optionally of one rule or subject, after a cursor. */
export async function listAlerts(
  pool: Pool,
  query: AuditAlertsQuery,
): Promise<{ alerts: AuditAlertView[]; nextCursor: string | null }> {
  const limit = query.limit ?? 100;
  const params: unknown[] = [];
  const conditions: string[] = [];
  if (query.rule) conditions.push(`rule = $${params.push(query.rule)}`);
  if (query.subject) conditions.push(`subject = $${params.push(query.subject)}`);
  if (query.cursor) conditions.push(`id < $${params.push(query.cursor)}`);
  const { rows } = await pool.query<AlertRow>(
    `SELECT ${ALERT_COLUMNS} FROM audit_alerts ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
     ORDER BY id DESC LIMIT ${limit + 1}`,
    params,
  );
  const alerts = rows.slice(0, limit).map(toAlertView);
  const last = alerts.at(-1);
  return { alerts, nextCursor: rows.length > limit && last ? String(last.id) : null };
}

/** Alerts with id > `afterId`, oldest first (the live stream). */
export async function alertsAfter(pool: Pool, afterId: number, limit: number): Promise<AuditAlertView[]> {
  const { rows } = await pool.query<AlertRow>(
    `SELECT ${ALERT_COLUMNS} FROM audit_alerts WHERE id > $1 ORDER BY id LIMIT $2`,
    [afterId, limit],
  );
  return rows.map(toAlertView);
}

/** The highest alert id (0 when there is none). */
export async function lastAlertId(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ id: string | null }>('SELECT max(id) AS id FROM audit_alerts');
  return Number(rows[0]?.id ?? 0);
}

/** One alert by id, or null. */
export async function getAlert(pool: Pool, id: number): Promise<AuditAlertView | null> {
  const { rows } = await pool.query<AlertRow>(`SELECT ${ALERT_COLUMNS} FROM audit_alerts WHERE id = $1`, [id]);
  return rows[0] ? toAlertView(rows[0]) : null;
}

/** Ids of alerts whose webhook deliveries are not queued yet (the outbox). */
export async function unqueuedAlertIds(pool: Pool): Promise<number[]> {
  const { rows } = await pool.query<{ id: string }>(
    'SELECT id FROM audit_alerts WHERE enqueued_at IS NULL ORDER BY id LIMIT 1000',
  );
  return rows.map((r) => Number(r.id));
}

/** Marks alerts whose deliveries are queued. */
export async function markQueued(pool: Pool, ids: number[]): Promise<void> {
  if (ids.length > 0) await pool.query('UPDATE audit_alerts SET enqueued_at = now() WHERE id = ANY($1)', [ids]);
}
