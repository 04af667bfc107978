import type { AuditEventFilters, AuditExportView } from '@gatehouse/contracts';
import type { Pool } from '@gatehouse/runtime';

/** One export as stored. */
export interface ExportRecord {
  id: string;
  format: AuditExportView['format'];
  filters: AuditEventFilters;
  throughSeq: number;
  state: 'queued' | 'running' | 'completed' | 'failed';
  rowCount: number | null;
  bytes: number | null;
  file: string | null;
  error: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

/** Records a requested export, pinned at the chain head so every attempt writes the same rows. */
export async function createExport(
  pool: Pool,
  e: { id: string; format: string; filters: AuditEventFilters; requestedBy: string | null; requestId: string },
): Promise<{ throughSeq: number }> {
  const { rows } = await pool.query<{ through_seq: string }>(
    `INSERT INTO audit_exports (id, format, filters, through_seq, state, requested_by, request_id)
     SELECT $1, $2, $3, seq, 'queued', $4, $5 FROM audit_chain_head WHERE id RETURNING through_seq`,
    [e.id, e.format, JSON.stringify(e.filters), e.requestedBy, e.requestId],
  );
  return { throughSeq: Number(rows[0]?.through_seq ?? 0) };
}

/** One export, or null. */
export async function getExport(pool: Pool, id: string): Promise<ExportRecord | null> {
  const { rows } = await pool.query('SELECT * FROM audit_exports WHERE id = $1', [id]);
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id,
    format: r.format,
    filters: r.filters,
    throughSeq: Number(r.through_seq),
    state: r.state,
    rowCount: r.row_count === null ? null : Number(r.row_count),
    bytes: r.bytes === null ? null : Number(r.bytes),
    file: r.file,
    error: r.error,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  };
}

/** Moves an export to `running`, `completed` or `failed`. */
export async function updateExport(
  pool: Pool,
  id: string,
  change:
    | { state: 'running' }
    | { state: 'completed'; rowCount: number; bytes: number; file: string }
    | { state: 'failed'; error: string },
): Promise<void> {
  if (change.state === 'running') {
    await pool.query(`UPDATE audit_exports SET state = 'running', started_at = now() WHERE id = $1`, [id]);
  } else if (change.state === 'completed') {
    await pool.query(
      `UPDATE audit_exports SET state = 'completed', row_count = $2, bytes = $3, file = $4, error = NULL,
       finished_at = now() WHERE id = $1`,
      [id, change.rowCount, change.bytes, change.file],
    );
  } else {
    await pool.query(`UPDATE audit_exports SET state = 'failed', error = $2, finished_at = now() WHERE id = $1`, [
      id,
      change.error,
    ]);
  }
}
