import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, type Pool } from '@gatehouse/runtime';
import { createTestDatabase, type TestDatabase } from '@gatehouse/runtime/testing';
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exportProcessor } from '../src/jobs/export.worker.js';
import { migrateAudit } from '../src/migrate.js';
import { createExport } from '../src/repositories/exports.repository.js';
import { AUDITOR, createEnv, type Env, fullEvent, logger, makeApp, storeDirect } from './helpers.js';

// The "replica" is a second pool on the same database (a real streaming replica is not started here):
// what is tested is which pool each path uses, and that an export waits for a replica that lags.
let env: Env;
let replica: Pool;
let lagging: TestDatabase;
let laggingPool: Pool;
let dir: string;

beforeAll(async () => {
  env = await createEnv();
  replica = createPool({ url: env.db.url, logger, name: 'read' });
  lagging = await createTestDatabase();
  laggingPool = createPool({ url: lagging.url, logger, name: 'lagging' });
  await migrateAudit(laggingPool);
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-replica-exports-'));
  await storeDirect(env.pool, [
    fullEvent({ type: 'auth.login.succeeded', subject: 'u-r1' }),
    fullEvent({ type: 'auth.login.failed', subject: 'u-r1' }),
  ]);
});
afterAll(async () => {
  await Promise.all([replica.end(), laggingPool.end()]);
  await Promise.all([env.close(), lagging.drop(), rm(dir, { recursive: true, force: true })]);
});

const eventReads = (spy: { mock: { calls: unknown[][] } }) =>
  spy.mock.calls.map((c) => String(c[0])).filter((sql) => /SELECT[\s\S]*FROM audit_events/.test(sql));

function exportJob(throughSeq: number): Job {
  return {
    id: 'job-1',
    data: { exportId: randomUUID(), format: 'ndjson', filters: {}, throughSeq },
    attemptsMade: 0,
    opts: { attempts: 3 },
    updateProgress: async () => undefined,
  } as unknown as Job;
}

describe('AUDIT_READ_DATABASE_URL', () => {
  it('serves the query API from the read pool, and writes (the read log) to the primary', async () => {
    const primary = vi.spyOn(env.pool, 'query');
    const read = vi.spyOn(replica, 'query');
    const app = await makeApp(env, { readPool: replica, overrides: { AUDIT_CONSUME: 'false' } });
    try {
      const to = Math.ceil(Date.now() / 60_000) * 60_000;
      const hour = `from=${new Date(to - 3_600_000).toISOString()}&to=${new Date(to).toISOString()}`;
      for (const url of ['/audit/events?userId=u-r1', '/audit/users/u-r1/summary', `/audit/stats?${hour}&bucket=60`]) {
        const res = await app.inject({ url, headers: AUDITOR });
        expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      }
      expect(eventReads(read).length).toBeGreaterThanOrEqual(3);
      expect(eventReads(primary)).toEqual([]);
      expect(primary.mock.calls.some((c) => /INSERT INTO audit_reads/.test(String(c[0])))).toBe(true);
    } finally {
      await app.close();
      primary.mockRestore();
      read.mockRestore();
    }
  });

  it('writes an export from the read pool once it holds the requested head, and retries while it lags', async () => {
    const { throughSeq } = await createExport(env.pool, {
      id: randomUUID(),
      format: 'ndjson',
      filters: {},
      requestedBy: null,
      requestId: 'r-1',
    });
    expect(throughSeq).toBe(2);
    const behind = exportProcessor({ pool: env.pool, readPool: laggingPool, logger, dir });
    await expect(behind(exportJob(throughSeq))).rejects.toThrow(/up to seq 0, the export needs 2/);
    const caughtUp = exportProcessor({ pool: env.pool, readPool: replica, logger, dir });
    const job = exportJob(throughSeq);
    expect(await caughtUp(job)).toMatchObject({ rowCount: 2 });
    const file = join(dir, `${(job.data as { exportId: string }).exportId}.ndjson`);
    expect((await readFile(file, 'utf8')).trim().split('\n')).toHaveLength(2);
  });
});
