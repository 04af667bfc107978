import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthEvent } from '@gatehouse/contracts';
import { waitFor } from '@gatehouse/runtime/testing';
import type { Job } from 'bullmq';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { AuditApp } from '../src/app.js';
import { verifyTrail } from '../src/domain/verify.js';
import { type ExportData, exportFile, exportProcessor } from '../src/jobs/export.worker.js';
import { AUDITOR, createEnv, type Env, fullEvent, logger, makeApp, publish, rowCount, testKeys } from './helpers.js';

// The one change a new envelope field needs in code: an entry in AUTH_EVENT_FIELDS (here added for this file only).
vi.mock(import('../../../packages/contracts/src/events/fields.js'), async (importOriginal) => {
  const original = await importOriginal();
  const { Type } = await import('@sinclair/typebox');
  const text = Type.Union([Type.String(), Type.Null()]);
  const deviceId = {
    envelope: Type.Optional(text),
    stored: text,
    column: 'device_id',
    columnType: 'text',
    canonical: 'extra',
  } as const;
  return { ...original, AUTH_EVENT_FIELDS: { ...original.AUTH_EVENT_FIELDS, deviceId } };
});

let env: Env;
let app: AuditApp;
let dir: string;
const keys = testKeys();
const AT = new Date('2030-03-04T05:06:07.089Z');
const withDevice = { ...fullEvent({ type: 'auth.login.succeeded' }, AT), deviceId: 'dev-42' } as AuthEvent;
// An event from a producer that does not send the field yet.
const { deviceId: _none, ...withoutDevice } = fullEvent(
  { type: 'auth.logout' },
  new Date(AT.getTime() + 1000),
) as AuthEvent & { deviceId?: unknown };

beforeAll(async () => {
  env = await createEnv();
  // ...and the one change it needs in the schema: its column.
  await env.pool.query('ALTER TABLE audit_events ADD COLUMN device_id text');
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-fields-'));
  app = await makeApp(env, { keys });
  await app.ready();
  await publish(env.redis, [withDevice, withoutDevice as AuthEvent]);
  await waitFor(async () => (await rowCount(env.pool)) === 2, 10_000, 'both events stored');
});
afterAll(async () => {
  await app?.close();
  await env?.close();
  await rm(dir, { recursive: true, force: true });
});

async function runExport(format: ExportData['format']): Promise<string> {
  const id = randomUUID();
  const run = exportProcessor({ pool: env.pool, readPool: env.pool, logger, dir });
  const data: ExportData = { exportId: id, format, filters: {}, throughSeq: 2 };
  await run({
    id,
    data,
    attemptsMade: 0,
    opts: {},
    updateProgress: async () => undefined,
  } as unknown as Job<ExportData>);
  return await readFile(exportFile(dir, id, format), 'utf8');
}

it('stores a field added to AUTH_EVENT_FIELDS in its own column, not in extra', async () => {
  const { rows } = await env.pool.query('SELECT device_id, extra FROM audit_events ORDER BY seq');
  expect(rows).toEqual([
    { device_id: 'dev-42', extra: null },
    { device_id: null, extra: null },
  ]);
});

it('returns the added field from the query API', async () => {
  const one = await app.inject({ url: `/audit/events/${withDevice.id}`, headers: AUDITOR });
  expect(one.statusCode).toBe(200);
  expect(one.json()).toMatchObject({ id: withDevice.id, deviceId: 'dev-42', extra: null });
  const list = await app.inject({ url: '/audit/events', headers: AUDITOR });
  expect(list.json().events.map((e: { deviceId: unknown }) => e.deviceId)).toEqual([null, 'dev-42']);
});

it('writes the added field to the CSV and NDJSON exports', async () => {
  const [header, , oldest] = (await runExport('csv')).trim().split('\n');
  expect(header?.split(',').slice(-4)).toEqual(['traceparent', 'deviceId', 'extra', 'hash']);
  expect(oldest?.split(',').at(-3)).toBe('dev-42');
  const lines = (await runExport('ndjson')).trim().split('\n');
  expect(lines.map((line) => JSON.parse(line).deviceId)).toEqual([null, 'dev-42']);
});

it('hashes the added field as it was hashed before it had a column, and verify catches a change to it', async () => {
  // The canonical form of the event when deviceId was an unknown field kept in extra (docs/audit.md#canonical-form).
  const canonical = JSON.stringify([
    'gatehouse.audit.event.v1',
    1,
    withDevice.id,
    'auth.login.succeeded',
    1,
    AT.toISOString(),
    'auth',
    'user-1',
    'alice',
    'sid-1',
    '203.0.113.7',
    'Mozilla/5.0 (X11; Linux x86_64) test',
    null,
    '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    { deviceId: 'dev-42' },
  ]);
  const expected = createHash('sha256').update(Buffer.alloc(32)).update(canonical).digest();
  const { rows } = await env.pool.query<{ hash: Buffer }>('SELECT hash FROM audit_events WHERE seq = 1');
  expect(rows[0]?.hash.toString('hex')).toBe(expected.toString('hex'));
  expect((await verifyTrail(env.pool, keys.publicKey)).ok).toBe(true);

  await env.pool.query(`UPDATE audit_events SET device_id = 'dev-43' WHERE seq = 1`);
  expect((await verifyTrail(env.pool, keys.publicKey)).failure).toMatchObject({ kind: 'event_changed', seq: 1 });
});
