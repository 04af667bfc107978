import { waitFor } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyTrail } from '../src/domain/verify.js';
import { writeDigest } from '../src/repositories/digests.repository.js';
import { applyRetention, monthStart } from '../src/repositories/retention.repository.js';
import {
  createEnv,
  type Env,
  emptyTrail,
  fullEvent,
  maintenanceOverrides,
  makeApp,
  storeDirect,
  testKeys,
} from './helpers.js';

let env: Env;
const keys = testKeys();
const DAY = 86_400_000;
const daysAgo = (d: number) => new Date(Date.now() - d * DAY);
const events = (n: number, age: number) =>
  Array.from({ length: n }, () => fullEvent({ type: 'auth.login.failed' }, daysAgo(age)));

beforeAll(async () => {
  env = await createEnv();
});
afterAll(async () => {
  await env.close();
});

const seqs = async () =>
  (await env.pool.query<{ seq: string }>('SELECT seq FROM audit_events ORDER BY seq')).rows.map((r) => Number(r.seq));

describe('retention', () => {
  it('removes only old, sealed events, as repeatable jobs, and verify still passes', async () => {
    await storeDirect(env.pool, events(20, 400));
    const app = await makeApp(env, {
      keys,
      overrides: {
        ...maintenanceOverrides(),
        AUDIT_DETECT_INTERVAL_MS: '60000',
      },
    });
    await app.ready();
    try {
      // The digest job seals 1..20, then the retention job cuts there.
      await waitFor(async () => (await seqs()).length === 0, 15_000, 'the retention cut');
      // Young events, then old ones again: the old ones stay, a young event precedes them.
      await storeDirect(env.pool, [...events(5, 10), ...events(5, 400)]);
      await waitFor(
        async () => (await env.pool.query('SELECT 1 FROM audit_digests WHERE to_seq = 30')).rowCount === 1,
        15_000,
        'the second digest',
      );
    } finally {
      await app.close();
    }
    const { rows } = await env.pool.query('SELECT through_seq::int AS s, removed::int AS n FROM audit_retention_cuts');
    expect(rows).toEqual([{ s: 20, n: 20 }]);
    expect(await seqs()).toEqual(Array.from({ length: 10 }, (_, i) => 21 + i));
    expect(await applyRetention(env.pool, keys, { days: 365 })).toEqual({ removed: 0, reason: 'nothing_old' });
    expect(await verifyTrail(env.pool, keys.publicKey)).toMatchObject({ ok: true, checkedEvents: 10, headSeq: 30 });
  });

  it('cuts at the last digest inside the old prefix, resumes verify there, and refuses to delete a broken chain', async () => {
    await emptyTrail(env.pool);
    await storeDirect(env.pool, events(10, 400));
    await writeDigest(env.pool, keys); // 1..10
    await storeDirect(env.pool, events(10, 400));
    await writeDigest(env.pool, keys); // 11..20
    await storeDirect(env.pool, [...events(3, 400), ...events(5, 1)]); // 21..23 old but not sealed alone
    await writeDigest(env.pool, keys); // 21..28

    expect(await applyRetention(env.pool, keys, { days: 365 })).toEqual({ removed: 20, throughSeq: 20, dropped: [] });
    expect(await seqs()).toEqual(Array.from({ length: 8 }, (_, i) => 21 + i));
    expect(await verifyTrail(env.pool, keys.publicKey)).toMatchObject({ ok: true, checkedEvents: 8, headSeq: 28 });
    expect(await applyRetention(env.pool, keys, { days: 365 })).toEqual({ removed: 0, reason: 'not_digested' });

    // Deleting the first remaining event is still caught.
    await env.pool.query('BEGIN');
    await env.pool.query('DELETE FROM audit_events WHERE seq = 21');
    expect((await verifyTrail(env.pool, keys.publicKey)).failure).toMatchObject({ kind: 'event_missing', seq: 21 });
    await env.pool.query('ROLLBACK');

    // A cut moved by hand (to hide deleted events) has no valid signature.
    await env.pool.query('UPDATE audit_retention_cuts SET through_seq = 10');
    expect((await verifyTrail(env.pool, keys.publicKey)).failure).toMatchObject({ kind: 'digest_invalid' });
    await env.pool.query('UPDATE audit_retention_cuts SET through_seq = 20');
    expect((await verifyTrail(env.pool, keys.publicKey)).ok).toBe(true);

    // Tampered old evidence is never deleted.
    await env.pool.query(`UPDATE audit_events SET ip = '198.51.100.1' WHERE seq = 22`);
    const refused = await applyRetention(env.pool, keys, { days: 0, now: monthStart(new Date(), 1) });
    expect(refused).toMatchObject({ removed: 0, reason: 'chain_broken' });
    expect(await seqs()).toHaveLength(8);
  });
});
