import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type AuditEventFilters, type AuditEventView, AuditEventViewSchema } from '@gatehouse/contracts';
import type { Logger, Pool } from '@gatehouse/runtime';
import type { Job } from 'bullmq';
import { stringify } from 'csv-stringify';
import QueryStream from 'pg-query-stream';
import { readHead } from '../repositories/chain.repository.js';
import { updateExport } from '../repositories/exports.repository.js';
import { toView, VIEW_COLUMNS, whereClause } from '../repositories/query.repository.js';

/** One export job (its id is the export id). */
export interface ExportData {
  exportId: string;
  format: 'ndjson' | 'csv';
  filters: AuditEventFilters;
  throughSeq: number;
}

/** The CSV columns, in order: the fields of a stored event (`extra` as JSON text). */
export const CSV_COLUMNS = Object.keys(AuditEventViewSchema.properties) as Array<keyof AuditEventView>;

/** Where an export's file lives. */
export function exportFile(dir: string, id: string, format: string): string {
  return resolve(join(dir, `${id}.${format}`));
}

function formatter(format: ExportData['format']): Transform {
  // escape_formulas: a cell that begins with = + - @ tab or CR (or their fullwidth
  // forms) gets a leading ' so no spreadsheet runs it (OWASP CSV injection).
  if (format === 'csv') return stringify({ header: true, columns: CSV_COLUMNS, escape_formulas: true });
  return new Transform({
    writableObjectMode: true,
    transform(view: AuditEventView, _enc, done) {
      done(null, `${JSON.stringify(view)}\n`);
    },
  });
}

function rowsToViews(format: ExportData['format'], onRow: () => void): Transform {
  return new Transform({
    objectMode: true,
    transform(row, _enc, done) {
      onRow();
      const view = toView(row);
      done(null, format === 'csv' ? { ...view, extra: view.extra === null ? '' : JSON.stringify(view.extra) } : view);
    },
  });
}

/**
 * Streams the rows of an export's query (the same filters and order as
 * `GET /audit/events`, up to the chain head at request time) through a
 * server-side cursor into `<dir>/<id>.<format>`: one batch of rows in memory
 * at a time. Progress `{ rows, total, percent, rss, heapUsed }` is reported every
 * `progressEvery` rows; the file appears (atomic rename) only when complete.
 */
export function exportProcessor(deps: {
  pool: Pool;
  readPool: Pool;
  logger: Logger;
  dir: string;
  progressEvery?: number;
}) {
  const every = deps.progressEvery ?? 5000;
  return async (job: Job<ExportData>) => {
    const { exportId, format, filters, throughSeq } = job.data;
    const file = exportFile(deps.dir, exportId, format);
    const part = `${file}.${randomUUID()}.part`;
    const where = whereClause(filters);
    const params = [...where.params, throughSeq];
    const sql = `${where.sql ? `${where.sql} AND` : 'WHERE'} seq <= $${params.length}`;
    try {
      await mkdir(deps.dir, { recursive: true });
      await updateExport(deps.pool, exportId, { state: 'running' });
      // A replica behind the head the export was requested at would give a short file: retry later instead.
      const replicaHead = (await readHead(deps.readPool)).seq;
      if (replicaHead < throughSeq) {
        throw new Error(`the read database has the trail up to seq ${replicaHead}, the export needs ${throughSeq}`);
      }
      const counted = await deps.readPool.query<{ n: string }>(`SELECT count(*) AS n FROM audit_events ${sql}`, params);
      const total = Number(counted.rows[0]?.n ?? 0);
      let rows = 0;
      const report = () => {
        // The worker's own memory rides along: an operator (and the test) can see it stay flat.
        const { rss, heapUsed } = process.memoryUsage();
        return job.updateProgress({ rows, total, percent: total ? (100 * rows) / total : 100, rss, heapUsed });
      };
      const client = await deps.readPool.connect();
      try {
        const query = new QueryStream(
          `SELECT ${VIEW_COLUMNS} FROM audit_events ${sql} ORDER BY occurred_at DESC, seq DESC`,
          params,
          { batchSize: 1000 },
        );
        const onRow = () => {
          rows += 1;
          if (rows % every === 0) void report().catch(() => undefined);
        };
        await pipeline(client.query(query), rowsToViews(format, onRow), formatter(format), createWriteStream(part));
      } finally {
        client.release();
      }
      await rename(part, file);
      const { size } = await stat(file);
      await report();
      await updateExport(deps.pool, exportId, { state: 'completed', rowCount: rows, bytes: size, file });
      deps.logger.info({ jobId: job.id, rows, bytes: size }, 'export written');
      return { rowCount: rows, bytes: size };
    } catch (err) {
      await rm(part, { force: true });
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
        await updateExport(deps.pool, exportId, { state: 'failed', error: (err as Error).message });
      }
      throw err;
    }
  };
}
