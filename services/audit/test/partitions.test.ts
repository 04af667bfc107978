import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthEvent } from '@gatehouse/contracts';
import { createPool, migrate } from '@gatehouse/runtime';
import { createTestDatabase } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainAfter } from '../src/domain/chain.js';
import { verifyTrail } from '../src/domain/verify.js';
import { MIGRATIONS_DIR, migrateAudit } from '../src/migrate.js';
import { writeDigest } from '../src/repositories/digests.repository.js';
import {
  readChainHead,
  readyToInsert,
  type StoreBatchInput,
  storeBatch,
} from '../src/repositories/events.repository.js';
import { applyRetention, ensurePartitions, monthStart } from '../src/repositories/retention.repository.js';
import { createEnv, type Env, emptyTrail, fullEvent, logger, rollupDrift, testKeys } from './helpers.js';

let env: Env;
const keys = testKeys();
const HOUR = 3_600_000;
let streamSeq = 0;

beforeAll(async () => {
  env = await createEnv();
});
afterAll(async () => {
  await env.close();
});

const at = (iso: string | Date) => fullEvent({ type: 'auth.login.failed' }, new Date(iso));

/** Stores a batch the way the consumer does: chained in advance, then the one-statement insert. */
async function store(events: AuthEvent[]) {
  const items = events.map((event) => ({ streamId: `1-${++streamSeq}`, event }));
  const batch: StoreBatchInput = { events: items, deadLetters: [], consumer: 'test', now: new Date() };
  const ready = readyToInsert(chainAfter(await readChainHead(env.pool), items), batch.now);
  return await storeBatch(env.pool, { ...batch, ready });
}

const rowsPerTable = async () =>
  Object.fromEntries(
    (
      await env.pool.query<{ t: string; n: number }>(
        'SELECT tableoid::regclass::text AS t, count(*)::int AS n FROM audit_events GROUP BY 1 ORDER BY 1',
      )
    ).rows.map((r) => [r.t, r.n]),
  );
const seqs = async () =>
  (await env.pool.query<{ seq: string }>('SELECT seq FROM audit_events ORDER BY seq')).rows.map((r) => Number(r.seq));
const partitions = async () =>
  (
    await env.pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'audit_events'::regclass ORDER BY 1`,
    )
  ).rows.map((r) => r.name);
const loginMinutes = async () =>
  (await env.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_login_minutes')).rows[0]?.n;
const partitionOf = (d: Date) => `audit_events_${d.toISOString().slice(0, 7).replace('-', '_')}`;

describe('audit_events partitioned by month', () => {
  it('migrates the unpartitioned table keeping every row, the chain and the digests', async () => {
    const db = await createTestDatabase();
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-v1-migrations-'));
    const pool = createPool({ url: db.url, logger, name: 'v1' });
    try {
      // The schema before partitioning: migrations 001..003 only.
      for (const name of (await readdir(MIGRATIONS_DIR)).filter((n) => /^00[1-3]_/.test(n))) {
        await cp(join(MIGRATIONS_DIR, name), join(dir, name));
      }
      expect(await migrate(pool, { service: 'audit', dir })).toEqual([1, 2, 3]);
      const events = [
        ...Array.from({ length: 30 }, (_, i) => at(new Date(Date.UTC(2025, 10, 3) + i * 7 * HOUR))),
        at('2025-12-31T23:59:59.999Z'),
        at('2026-01-01T00:00:00.000Z'),
        ...Array.from({ length: 20 }, (_, i) => at(new Date(Date.UTC(2026, 0, 5) + i * HOUR))),
      ];
      const items = events.map((event, i) => ({ streamId: `1-${i}`, event }));
      const now = new Date();
      const ready = readyToInsert(chainAfter(await readChainHead(pool), items), now);
      await storeBatch(pool, { events: items, deadLetters: [], consumer: 'v1', now, ready });
      expect(await writeDigest(pool, keys)).toMatchObject({ written: true, toSeq: 52 });
      const before = await pool.query('SELECT * FROM audit_events ORDER BY seq');
      expect(await pool.query("SELECT to_regclass('audit_events_2026_01') AS t")).toMatchObject({
        rows: [{ t: null }],
      });

      expect(await migrateAudit(pool)).toEqual([4, 5]);

      const after = await pool.query('SELECT * FROM audit_events ORDER BY seq');
      expect(after.rows).toEqual(before.rows);
      expect(await verifyTrail(pool, keys.publicKey)).toMatchObject({ ok: true, checkedEvents: 52, headSeq: 52 });
      const perMonth = await pool.query<{ t: string; n: number }>(
        'SELECT tableoid::regclass::text AS t, count(*)::int AS n FROM audit_events GROUP BY 1 ORDER BY 1',
      );
      expect(perMonth.rows).toEqual([
        { t: 'audit_events_2025_11', n: 30 },
        { t: 'audit_events_2025_12', n: 1 },
        { t: 'audit_events_2026_01', n: 21 },
      ]);
      // Migration 005 counted the existing logins into the per-minute rollup.
      expect(await rollupDrift(pool)).toEqual([]);
      const minutes = await pool.query<{ n: number; failed: number }>(
        'SELECT count(*)::int AS n, sum(failed)::int AS failed FROM audit_login_minutes',
      );
      expect(minutes.rows).toEqual([{ n: 52, failed: 52 }]);
    } finally {
      await pool.end();
      await Promise.all([db.drop(), rm(dir, { recursive: true, force: true })]);
    }
  });

  it('stores a redelivered event once, whatever month it comes back in, and an id reused in another month too', async () => {
    await emptyTrail(env.pool);
    const lastMs = at('2026-01-31T23:59:59.999Z');
    expect((await store([lastMs, at('2026-02-01T00:00:00.000Z')])).stored).toHaveLength(2);
    // Redelivered (a crash before XACK) together with new events, a month later.
    const again = await store([at('2026-03-02T10:00:00.000Z'), { ...lastMs }, at('2026-03-02T10:00:01.000Z')]);
    expect(again).toMatchObject({ duplicates: 1 });
    expect(again.stored.map((e) => e.seq)).toEqual([3, 4]);
    // The same id with another month's time is not the envelope auth wrote: it is checked in every partition.
    const moved = { ...lastMs, occurredAt: '2026-03-15T12:00:00.000Z' };
    expect(await store([moved])).toMatchObject({ stored: [], duplicates: 1 });
    // Ids that are not UUIDv7 get the same check.
    const v4 = { ...at('2026-02-10T00:00:00.000Z'), id: randomUUID() };
    expect((await store([v4])).stored).toHaveLength(1);
    expect(await store([{ ...v4, occurredAt: '2026-03-10T00:00:00.000Z' }])).toMatchObject({ duplicates: 1 });
    const ids = await env.pool.query<{ n: number; d: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM audit_events',
    );
    expect(ids.rows).toEqual([{ n: 5, d: 5 }]);
    expect(await seqs()).toEqual([1, 2, 3, 4, 5]);
  });

  it('creates month partitions ahead and moves rows the default partition held into them', async () => {
    await emptyTrail(env.pool);
    const later = monthStart(new Date(), 7);
    await store([at(new Date(later.getTime() + HOUR))]);
    expect(await rowsPerTable()).toEqual({ audit_events_default: 1 });
    expect(await ensurePartitions(env.pool, { now: later, ahead: 1 })).toEqual([
      later.toISOString().slice(0, 7),
      monthStart(later, 1).toISOString().slice(0, 7),
    ]);
    expect(await rowsPerTable()).toEqual({ [partitionOf(later)]: 1 });
    expect(await ensurePartitions(env.pool, { now: later, ahead: 1 })).toEqual([]);
    expect(await verifyTrail(env.pool, keys.publicKey)).toMatchObject({ ok: true, checkedEvents: 1 });
  });

  it('drops whole expired months, keeps their late rows until a later cut, and verify passes after each', async () => {
    await emptyTrail(env.pool);
    const [m0, m1, m2] = [monthStart(new Date(), -5), monthStart(new Date(), -4), monthStart(new Date(), -3)];
    await ensurePartitions(env.pool, { now: m0, ahead: 2 });
    const inMonth = (m: Date, n: number, hour = 1) =>
      Array.from({ length: n }, (_, i) => at(new Date(m.getTime() + (hour + i) * HOUR)));
    await store(inMonth(m0, 10)); // 1..10
    await writeDigest(env.pool, keys); // 1..10
    await store(inMonth(m1, 5)); // 11..15
    await store(inMonth(m0, 1, 500)); // 16: month m0, stored late
    await store(inMonth(m1, 4, 100)); // 17..20
    await writeDigest(env.pool, keys); // 11..20
    await store(inMonth(m1, 3, 200)); // 21..23, not sealed yet
    expect(await rowsPerTable()).toEqual({ [partitionOf(m0)]: 11, [partitionOf(m1)]: 12 });
    expect(await loginMinutes()).toBe(23);

    // Month m0 has ended: it goes, except seq 16 (after the cut), which waits in the default partition.
    const first = await applyRetention(env.pool, keys, { days: 0, now: new Date(m1.getTime() + HOUR) });
    expect(first).toEqual({ removed: 10, throughSeq: 10, dropped: [partitionOf(m0)] });
    expect(await partitions()).not.toContain(partitionOf(m0));
    expect(await rowsPerTable()).toEqual({ audit_events_default: 1, [partitionOf(m1)]: 12 });
    expect(await seqs()).toEqual(Array.from({ length: 13 }, (_, i) => 11 + i));
    expect(await verifyTrail(env.pool, keys.publicKey)).toMatchObject({ ok: true, checkedEvents: 13, headSeq: 23 });
    // The per-minute login counts went with the month, except seq 16's, copied back once.
    expect(await rollupDrift(env.pool)).toEqual([]);
    expect(await loginMinutes()).toBe(13);

    // Month m1 too: the cut ends on the last digest (20), so 21..23 move to the default partition.
    const second = await applyRetention(env.pool, keys, { days: 0, now: new Date(m2.getTime() + HOUR) });
    expect(second).toEqual({ removed: 10, throughSeq: 20, dropped: [partitionOf(m1)] });
    expect(await rowsPerTable()).toEqual({ audit_events_default: 3 });
    expect(await verifyTrail(env.pool, keys.publicKey)).toMatchObject({ ok: true, checkedEvents: 3, headSeq: 23 });
    expect(await rollupDrift(env.pool)).toEqual([]);
    expect(await loginMinutes()).toBe(3);

    await writeDigest(env.pool, keys); // 21..23
    const third = await applyRetention(env.pool, keys, { days: 0, now: new Date(m2.getTime() + HOUR) });
    expect(third).toEqual({ removed: 3, throughSeq: 23, dropped: [] });
    expect(await seqs()).toEqual([]);
    expect(await loginMinutes()).toBe(0);
    expect(await verifyTrail(env.pool, keys.publicKey)).toMatchObject({ ok: true, checkedEvents: 0, headSeq: 23 });
    const cuts = await env.pool.query('SELECT through_seq::int AS s, removed::int AS n FROM audit_retention_cuts');
    expect(cuts.rows).toEqual([
      { s: 10, n: 10 },
      { s: 20, n: 10 },
      { s: 23, n: 3 },
    ]);
  });

  it('keeps a month that has not wholly expired', async () => {
    await emptyTrail(env.pool);
    const m = monthStart(new Date(), -2);
    await ensurePartitions(env.pool, { now: m, ahead: 0 });
    await store([at(new Date(m.getTime() + HOUR))]);
    await writeDigest(env.pool, keys);
    // 30 days after the event: its month is not over as far as the cutoff is concerned.
    const now = new Date(m.getTime() + HOUR + 30 * 86_400_000);
    const outcome = await applyRetention(env.pool, keys, { days: 30, now });
    expect(outcome).toEqual({ removed: 0, reason: 'nothing_old' });
    expect(await seqs()).toEqual([1]);
  });
});
