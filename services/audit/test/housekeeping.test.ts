import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUTH_EVENTS_DEAD_STREAM } from '@gatehouse/contracts';
import { waitFor } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyTrail } from '../src/domain/verify.js';
import { createEnv, type Env, fullEvent, maintenanceOverrides, makeApp, storeDirect, testKeys } from './helpers.js';

let env: Env;
let dir: string;
const keys = testKeys();
const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000);

beforeAll(async () => {
  env = await createEnv();
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-exports-'));
});
afterAll(async () => {
  await env.close();
  await rm(dir, { recursive: true, force: true });
});

async function seed(label: string, age: number): Promise<string> {
  const at = daysAgo(age);
  await env.pool.query(
    `INSERT INTO audit_reads (at, request_id, method, route, params) VALUES ($1, $2, 'GET', '/audit/events', '{}')`,
    [at, label],
  );
  await env.pool.query(
    `INSERT INTO audit_alerts (rule, subject, subject_kind, window_start, window_end, first_at, last_at, event_ids, details, created_at, enqueued_at)
     VALUES ('brute_force', $1, 'username', $2, $2, $2, $2, '{}', '{}', $2, $2)`,
    [label, at],
  );
  await env.pool.query(
    `INSERT INTO audit_dead_letters (stream_id, payload, reason, deliveries, consumer, dead_at) VALUES ($1, 'x', 'test', 1, 'c', $2)`,
    [label, at],
  );
  const id = randomUUID();
  const file = join(dir, `${id}.ndjson`);
  await writeFile(file, '{}\n');
  await env.pool.query(
    `INSERT INTO audit_exports (id, format, filters, through_seq, state, request_id, row_count, bytes, file, created_at, finished_at)
     VALUES ($1, 'ndjson', '{}', 0, 'completed', $2, 1, 3, $3, $4, $4)`,
    [id, label, file, at],
  );
  await env.redis.xadd(AUTH_EVENTS_DEAD_STREAM, `${at.getTime()}-0`, 'event', label);
  return file;
}

const labels = async (sql: string) => (await env.pool.query<{ l: string }>(sql)).rows.map((r) => r.l);

describe('retention of the records outside the chain', () => {
  it('removes old exports (file and row), reads, alerts and dead letters by their own settings; verify still passes', async () => {
    await storeDirect(
      env.pool,
      Array.from({ length: 10 }, () => fullEvent({ type: 'auth.logout' }, daysAgo(400))),
    );
    const oldFile = await seed('old', 100);
    const youngFile = await seed('young', 3);
    const app = await makeApp(env, {
      keys,
      overrides: {
        ...maintenanceOverrides(),
        AUDIT_EXPORT_RETENTION_DAYS: '7',
        AUDIT_READS_RETENTION_DAYS: '30',
        AUDIT_ALERTS_RETENTION_DAYS: '30',
        AUDIT_DEAD_LETTERS_RETENTION_DAYS: '30',
      },
    });
    await app.ready();
    try {
      await waitFor(
        async () =>
          (await labels('SELECT request_id AS l FROM audit_exports')).join() === 'young' &&
          (await env.redis.xlen(AUTH_EVENTS_DEAD_STREAM)) === 1 &&
          (await env.pool.query('SELECT 1 FROM audit_retention_cuts')).rowCount === 1,
        15_000,
        'the retention job',
      );
    } finally {
      await app.close();
    }
    expect(await labels('SELECT request_id AS l FROM audit_reads')).toEqual(['young']);
    // Only the seeded alerts: the detection job may add its own from the stored events.
    expect(await labels(`SELECT subject AS l FROM audit_alerts WHERE subject IN ('old', 'young')`)).toEqual(['young']);
    expect(await labels('SELECT stream_id AS l FROM audit_dead_letters')).toEqual(['young']);
    await expect(stat(oldFile)).rejects.toThrow();
    expect((await stat(youngFile)).size).toBe(3);
    expect(await verifyTrail(env.pool, keys.publicKey)).toMatchObject({ ok: true, checkedEvents: 0, headSeq: 10 });
  });
});
