import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { AuditExportView } from '@gatehouse/contracts';
import { freePort, type ServiceProcess, startServiceProcess, waitFor } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditApp } from '../src/app.js';
import { CSV_COLUMNS, exportFile } from '../src/jobs/export.worker.js';
import { writeDigest } from '../src/repositories/digests.repository.js';
import {
  AUDITOR,
  createEnv,
  type Env,
  fullEvent,
  makeApp,
  postExport,
  SERVER_ENTRY,
  storeDirect,
  testKeys,
} from './helpers.js';

const TOTAL = 100_000;
const TYPES = ['auth.login.failed', 'auth.login.succeeded', 'auth.logout'] as const;
let env: Env;
let dir: string;
let expectedIds: string[];
const prefix = () => `t${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  env = await createEnv();
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-exports-'));
  const start = Date.now() - TOTAL * 1000;
  const events = Array.from({ length: TOTAL }, (_, i) =>
    fullEvent(
      { type: TYPES[i % 3] as (typeof TYPES)[number], username: `user-${i % 50}`, ip: `10.0.${i % 7}.${i % 200}` },
      // A few timestamps repeat, so the (occurredAt, seq) order matters.
      new Date(start + Math.floor(i / 2) * 1000),
    ),
  );
  for (let i = 0; i < TOTAL; i += 20_000) await storeDirect(env.pool, events.slice(i, i + 20_000));
  // Nothing for the first scheduled runs to do: the export workers have the CPU to themselves.
  await writeDigest(env.pool, testKeys());
  await env.pool.query('UPDATE audit_detection_state SET last_seq = (SELECT seq FROM audit_chain_head)');
  const { rows } = await env.pool.query<{ id: string }>(
    'SELECT event_id::text AS id FROM audit_events ORDER BY occurred_at DESC, seq DESC',
  );
  expectedIds = rows.map((r) => r.id);
}, 120_000);
afterAll(async () => {
  await env.close();
  await rm(dir, { recursive: true, force: true });
});

async function readLines(file: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of createInterface({ input: createReadStream(file) })) lines.push(line);
  return lines;
}

async function requestExport(app: AuditApp, body: Record<string, unknown>): Promise<string> {
  const reply = await postExport(app, AUDITOR, body);
  expect(reply.statusCode).toBe(202);
  return reply.json().id;
}

async function status(app: AuditApp, id: string): Promise<AuditExportView> {
  return (await app.inject({ url: `/audit/exports/${id}`, headers: AUDITOR })).json();
}

const mb = (n: number) => Math.round(n / 1048576);

/** A worker-only audit process (`AUDIT_ROLE=worker`) on this test's Redis and database. */
async function startWorker(queuePrefix: string): Promise<ServiceProcess> {
  return await startServiceProcess({
    entry: SERVER_ENTRY,
    port: await freePort(),
    env: {
      DATABASE_URL: env.db.url,
      REDIS_URL: env.server.url,
      AUDIT_ROLE: 'worker',
      AUDIT_QUEUE_PREFIX: queuePrefix,
      AUDIT_EXPORT_DIR: dir,
      AUDIT_JOB_LOCK_MS: '1500',
      AUDIT_SHUTDOWN_GRACE_MS: '60000',
      AUDIT_GENERATE_KEY: 'true',
      AUDIT_DIGEST_KEY_FILE: join(dir, 'digest.pem'),
      LOG_LEVEL: 'warn',
    },
  });
}

describe('exports', () => {
  it('streams 100,000 rows to NDJSON and CSV files that match the query, in a worker whose memory stays flat', async () => {
    const queuePrefix = prefix();
    const app = await makeApp(env, {
      overrides: { AUDIT_CONSUME: 'false', AUDIT_QUEUE_PREFIX: queuePrefix, AUDIT_EXPORT_DIR: dir },
    });
    const worker = await startWorker(queuePrefix);
    try {
      for (const format of ['ndjson', 'csv'] as const) {
        const id = await requestExport(app, { format });
        const samples: Array<{ percent: number; rss: number; heapUsed: number }> = [];
        await waitFor(
          async () => {
            const progress = (await app.auditQueues.exports.getJob(id))?.progress;
            if (typeof progress === 'object') samples.push(progress as (typeof samples)[number]);
            return (await status(app, id)).state === 'completed';
          },
          60_000,
          `${format} export`,
        );
        const done = await status(app, id);
        expect(done).toMatchObject({ state: 'completed', progress: 100, rowCount: TOTAL, totalRows: TOTAL });
        expect(samples.some((p) => p.percent > 0 && p.percent < 100)).toBe(true);
        const [first] = samples;
        const peakHeap = Math.max(...samples.map((p) => p.heapUsed));
        const peakRss = Math.max(...samples.map((p) => p.rss));
        console.log(
          `export ${format}: ${TOTAL} rows, ${mb(done.bytes ?? 0)} MB file, ${samples.length} samples; worker heapUsed ${mb(first?.heapUsed ?? 0)} -> peak ${mb(peakHeap)} MB, rss ${mb(first?.rss ?? 0)} -> peak ${mb(peakRss)} MB`,
        );
        // 100,000 rows held at once (row objects, views, text) need several hundred MB of heap.
        expect(peakHeap).toBeLessThan(160 * 1048576);

        const lines = await readLines(exportFile(dir, id, format));
        if (format === 'ndjson') {
          expect(lines.map((l) => JSON.parse(l).id)).toEqual(expectedIds);
          const page = (await app.inject({ url: '/audit/events?limit=1000', headers: AUDITOR })).json();
          expect(lines.slice(0, 1000).map((l) => JSON.parse(l))).toEqual(page.events);
        } else {
          expect(lines[0]).toBe(CSV_COLUMNS.join(','));
          expect(lines.slice(1).map((l) => l.split(',')[1])).toEqual(expectedIds);
        }
        const download = await app.inject({ url: `/audit/exports/${id}/download`, headers: AUDITOR });
        expect(download.headers['content-disposition']).toBe(`attachment; filename="audit-export-${id}.${format}"`);
        expect(download.rawPayload.length).toBe(done.bytes);
      }
    } finally {
      await worker.kill('SIGKILL');
      await app.close();
    }
  }, 180_000);

  it('applies the filters of GET /audit/events, records the request as a read, and answers bad requests with 4xx', async () => {
    const app = await makeApp(env, {
      overrides: { AUDIT_CONSUME: 'false', AUDIT_WORKERS: 'true', AUDIT_QUEUE_PREFIX: prefix(), AUDIT_EXPORT_DIR: dir },
    });
    await app.ready();
    try {
      const filters = { username: 'user-7', type: 'auth.login.failed' };
      const id = await requestExport(app, { ...filters, format: 'ndjson' });
      const early = await app.inject({ url: `/audit/exports/${id}/download`, headers: AUDITOR });
      expect([200, 409]).toContain(early.statusCode);
      await waitFor(async () => (await status(app, id)).state === 'completed', 30_000, 'filtered export');
      const query = new URLSearchParams({ ...filters, limit: '1000' });
      const page = (await app.inject({ url: `/audit/events?${query}`, headers: AUDITOR })).json();
      const lines = await readLines(exportFile(dir, id, 'ndjson'));
      expect(lines.map((l) => JSON.parse(l))).toEqual(page.events);
      expect(page.nextCursor).toBeNull();
      const reads = (await app.inject({ url: '/audit/reads?limit=50', headers: AUDITOR })).json().reads;
      expect(reads).toContainEqual(
        expect.objectContaining({ route: '/audit/exports', method: 'POST', params: { ...filters, format: 'ndjson' } }),
      );
      const bad = await postExport(app, AUDITOR, { format: 'xml' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toMatch(/format/);
      const unknown = await app.inject({
        url: `/audit/exports/${randomBytes(16)
          .toString('hex')
          .replace(/(.{8})(.{4})(.{4})(.{4})(.{12})/, '$1-$2-$3-$4-$5')}`,
        headers: AUDITOR,
      });
      expect(unknown.statusCode).toBe(404);
    } finally {
      await app.close();
    }
  }, 60_000);

  it('loses no job: a worker SIGKILLed mid-export hands it over after the lock expires; SIGTERM lets a running export finish', async () => {
    const queuePrefix = prefix();
    const api = await makeApp(env, {
      overrides: { AUDIT_CONSUME: 'false', AUDIT_QUEUE_PREFIX: queuePrefix, AUDIT_EXPORT_DIR: dir },
    });
    const workers: ServiceProcess[] = [];
    const start = async () => {
      const child = await startWorker(queuePrefix);
      workers.push(child);
      return child;
    };
    const running = async (id: string) => {
      const s = await status(api, id);
      expect(s.state).not.toBe('completed');
      return s.state === 'running' && s.rowCount > 0;
    };
    try {
      const first = await start();
      const killed = await requestExport(api, { format: 'ndjson' });
      await waitFor(() => running(killed), 30_000, 'the export running in the first worker');
      await first.kill('SIGKILL');
      const second = await start();
      await waitFor(async () => (await status(api, killed)).state === 'completed', 60_000, 'the handed-over export');
      expect(await status(api, killed)).toMatchObject({ rowCount: TOTAL });
      expect((await readLines(exportFile(dir, killed, 'ndjson'))).length).toBe(TOTAL);

      const drained = await requestExport(api, { format: 'csv' });
      await waitFor(() => running(drained), 30_000, 'the export running in the second worker');
      expect(await second.kill('SIGTERM')).toBe(0);
      expect(await status(api, drained)).toMatchObject({ state: 'completed', rowCount: TOTAL });
      const ready = (await api.inject({ url: '/readyz' })).json();
      expect(ready.checks.jobs.detail['audit-exports']).toEqual({ waiting: 0, active: 0, failed: 0, delayed: 0 });
    } finally {
      await Promise.all(workers.map((w) => w.kill('SIGKILL')));
      await api.close();
    }
  }, 180_000);
});
