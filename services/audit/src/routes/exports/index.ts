import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  AuditExportAcceptedSchema,
  AuditExportRequestSchema,
  type AuditExportView,
  AuditExportViewSchema,
  ErrorResponseSchema,
  GatehouseError,
} from '@gatehouse/contracts';
import type { Pool } from '@gatehouse/runtime';
import { Type } from '@sinclair/typebox';
import type { Job, Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { ExportData } from '../../jobs/export.worker.js';
import { createExport, type ExportRecord, getExport } from '../../repositories/exports.repository.js';

const errors = { 400: ErrorResponseSchema, 403: ErrorResponseSchema, 503: ErrorResponseSchema };
const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const CONTENT_TYPES = { ndjson: 'application/x-ndjson', csv: 'text/csv; charset=utf-8' } as const;

type Progress = { rows?: number; total?: number; percent?: number };

const JOB_STATES: Record<string, AuditExportView['state']> = {
  active: 'running',
  completed: 'completed',
  failed: 'failed',
};

async function toExportView(record: ExportRecord, job: Job<ExportData> | undefined): Promise<AuditExportView> {
  const progress = (typeof job?.progress === 'object' ? job.progress : {}) as Progress;
  const jobState = job ? await job.getState() : undefined;
  const state =
    record.state === 'completed' || record.state === 'failed' || !jobState
      ? record.state
      : (JOB_STATES[jobState] ?? 'queued');
  return {
    id: record.id,
    format: record.format,
    state,
    progress: state === 'completed' ? 100 : Math.min(100, Math.round((progress.percent ?? 0) * 10) / 10),
    rowCount: record.rowCount ?? progress.rows ?? 0,
    totalRows: progress.total ?? record.rowCount,
    bytes: record.bytes,
    filters: record.filters,
    error: record.error,
    createdAt: record.createdAt.toISOString(),
    finishedAt: record.finishedAt?.toISOString() ?? null,
  };
}

/** `POST /audit/exports`, `GET /audit/exports/:id`, `GET /audit/exports/:id/download`. */
export default async function exportsRoutes(parent: FastifyInstance, options: { pool: Pool; exports: Queue }) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const load = async (id: string) => {
    const record = await getExport(options.pool, id);
    if (!record) throw new GatehouseError('not_found', `No export ${id}.`);
    return record;
  };
  app.post(
    '/audit/exports',
    {
      schema: {
        tags: ['exports'],
        summary: 'Export the events matching the filters of GET /audit/events to a file, as a background job',
        body: AuditExportRequestSchema,
        response: { 202: AuditExportAcceptedSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { format, ...filters } = request.body;
      const id = randomUUID();
      const requestedBy = request.reader?.userId ?? request.reader?.username ?? null;
      const { throughSeq } = await createExport(options.pool, {
        id,
        format,
        filters,
        requestedBy,
        requestId: request.id,
      });
      const data: ExportData = { exportId: id, format, filters, throughSeq };
      await options.exports.add('export', data, { jobId: id });
      return reply.code(202).send({ id });
    },
  );
  app.get(
    '/audit/exports/:id',
    {
      schema: {
        tags: ['exports'],
        summary: 'State, progress and row count of an export',
        params: IdParams,
        response: { 200: AuditExportViewSchema, 404: ErrorResponseSchema, ...errors },
      },
    },
    async (request) => {
      const record = await load(request.params.id);
      return await toExportView(record, (await options.exports.getJob(record.id)) as Job<ExportData> | undefined);
    },
  );
  // Registered without the type provider: the 200 body is a file stream, not a schema'd value.
  parent.get<{ Params: { id: string } }>(
    '/audit/exports/:id/download',
    {
      schema: {
        tags: ['exports'],
        summary: 'The file of a completed export (NDJSON or CSV)',
        params: IdParams,
        response: { 404: ErrorResponseSchema, 409: ErrorResponseSchema, ...errors },
      },
    },
    async (request, reply) => {
      const record = await load(request.params.id);
      if (record.state !== 'completed' || !record.file) {
        throw new GatehouseError('conflict', `Export ${record.id} is ${record.state}; download it once completed.`);
      }
      const stream = createReadStream(record.file);
      await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject)).catch(
        (err) => {
          throw new GatehouseError('not_found', `The file of export ${record.id} is gone from this replica.`, {
            cause: err,
          });
        },
      );
      return reply
        .header('content-type', CONTENT_TYPES[record.format])
        .header('content-disposition', `attachment; filename="audit-export-${record.id}.${record.format}"`)
        .send(stream);
    },
  );
}
