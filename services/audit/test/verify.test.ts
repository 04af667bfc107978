import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chainHash, GENESIS_HASH } from '../src/domain/canonical.js';
import { verifyTrail } from '../src/domain/verify.js';
import { readChainPage } from '../src/repositories/chain.repository.js';
import { writeDigest } from '../src/repositories/digests.repository.js';
import { AUDITOR, type Env, fullEvent, makeApp, onEmptyTrail, storeDirect, testKeys } from './helpers.js';

let env: Env;
const keys = testKeys();
onEmptyTrail((created) => {
  env = created;
});

const events = (n: number) =>
  Array.from({ length: n }, (_, i) => fullEvent({ type: 'auth.login.failed', subject: `u${i}` }));

/** Stores 30 events, signs a digest over 1..20, stores 10 more (the undigested tail). */
async function trail() {
  const first = events(20);
  await storeDirect(env.pool, first);
  const digest = await writeDigest(env.pool, keys);
  expect(digest).toMatchObject({ written: true, fromSeq: 1, toSeq: 20 });
  await storeDirect(env.pool, events(10));
  return first;
}

describe('verify', () => {
  it('reports OK on an intact trail, also through GET /audit/verify', async () => {
    await trail();
    expect(await writeDigest(env.pool, keys)).toMatchObject({ written: true, fromSeq: 21, toSeq: 30 });
    expect(await writeDigest(env.pool, keys)).toEqual({ written: false, reason: 'nothing_new' });
    const app = await makeApp(env, { keys, overrides: { AUDIT_CONSUME: 'false' } });
    try {
      const reply = await app.inject({ url: '/audit/verify', headers: AUDITOR });
      expect(reply.json()).toEqual({
        ok: true,
        checkedEvents: 30,
        checkedDigests: 2,
        headSeq: 30,
        digestedThrough: 30,
        failure: null,
      });
    } finally {
      await app.close();
    }
  });

  it('seals at most maxSeqs events per digest run; the next run resumes, and verify passes', async () => {
    await trail();
    expect(await writeDigest(env.pool, keys, 6)).toMatchObject({ written: true, fromSeq: 21, toSeq: 26 });
    expect(await writeDigest(env.pool, keys, 6)).toMatchObject({ written: true, fromSeq: 27, toSeq: 30 });
    expect((await verifyTrail(env.pool, keys.publicKey)).failure).toBeNull();
  });

  it('catches an UPDATE made by hand, naming the event and its digest range', async () => {
    const first = await trail();
    await env.pool.query(`UPDATE audit_events SET ip = '198.51.100.1' WHERE seq = 7`);
    const report = await verifyTrail(env.pool, keys.publicKey);
    expect(report.ok).toBe(false);
    expect(report.failure).toMatchObject({
      kind: 'event_changed',
      seq: 7,
      eventId: first[6]?.id,
      fromSeq: 1,
      toSeq: 20,
    });
  });

  it('catches an UPDATE in the undigested tail even when the row hash is recomputed', async () => {
    await trail();
    const [row] = await readChainPage(env.pool, 24, 1);
    if (!row) throw new Error('no row 25');
    const forged = chainHash(row.prevHash, { ...row, username: 'mallory' });
    await env.pool.query(`UPDATE audit_events SET username = 'mallory', hash = $1 WHERE seq = 25`, [forged]);
    const report = await verifyTrail(env.pool, keys.publicKey);
    expect(report.failure).toMatchObject({
      kind: 'event_changed',
      seq: 25,
      eventId: row.id,
      fromSeq: 21,
      toSeq: 30,
    });
  });

  it('catches a DELETE made by hand, naming the missing seq', async () => {
    await trail();
    await env.pool.query('DELETE FROM audit_events WHERE seq = 12');
    const report = await verifyTrail(env.pool, keys.publicKey);
    expect(report.failure).toMatchObject({ kind: 'event_missing', seq: 12, fromSeq: 1, toSeq: 20 });
    expect(report.failure?.message).toMatch(/seq 12 is missing/);
  });

  it('catches a DELETE of the newest events even when the chain head is moved back', async () => {
    await trail();
    await writeDigest(env.pool, keys);
    const [row] = await readChainPage(env.pool, 26, 1);
    await env.pool.query('DELETE FROM audit_events WHERE seq > 27');
    await env.pool.query('UPDATE audit_chain_head SET seq = 27, hash = $1', [row?.hash]);
    const report = await verifyTrail(env.pool, keys.publicKey);
    expect(report.failure).toMatchObject({ kind: 'event_missing', seq: 28, fromSeq: 21, toSeq: 30 });
  });

  it('catches a rewrite of the whole chain through the signed digest', async () => {
    await trail();
    await env.pool.query(`UPDATE audit_events SET reason = 'rewritten' WHERE seq = 3`);
    let prev: Buffer = GENESIS_HASH;
    for (const row of await readChainPage(env.pool, 0, 100)) {
      const hash = chainHash(prev, row);
      await env.pool.query('UPDATE audit_events SET prev_hash = $1, hash = $2 WHERE seq = $3', [prev, hash, row.seq]);
      prev = hash;
    }
    await env.pool.query('UPDATE audit_chain_head SET hash = $1', [prev]);
    const report = await verifyTrail(env.pool, keys.publicKey);
    expect(report.failure).toMatchObject({ kind: 'chain_broken', fromSeq: 1, toSeq: 20 });
  });

  it('catches a forged digest (the attacker has no private key)', async () => {
    await trail();
    const forger = testKeys();
    await env.pool.query('DELETE FROM audit_digests');
    await writeDigest(env.pool, forger);
    const report = await verifyTrail(env.pool, keys.publicKey);
    expect(report.failure).toMatchObject({ kind: 'digest_invalid', fromSeq: 1, toSeq: 30 });
  });

  it('hashes a documented canonical form', () => {
    const prev = Buffer.alloc(32);
    const event = {
      seq: 1,
      id: '0190d1e2-0000-7000-8000-000000000001',
      type: 'auth.logout',
      version: 1,
      occurredAt: '2025-01-01T00:00:00.000Z',
      source: 'auth',
      subject: 'u1',
      username: 'alice',
      sessionId: 's1',
      ip: '192.0.2.1',
      userAgent: null,
      reason: 'user_logout',
      traceparent: null,
      extra: { z: 1, a: { y: 2, b: 3 } },
    };
    const canonical =
      '["gatehouse.audit.event.v1",1,"0190d1e2-0000-7000-8000-000000000001","auth.logout",1,' +
      '"2025-01-01T00:00:00.000Z","auth","u1","alice","s1","192.0.2.1",null,"user_logout",null,{"a":{"b":3,"y":2},"z":1}]';
    const expected = createHash('sha256').update(prev).update(canonical).digest();
    expect(chainHash(prev, event).equals(expected)).toBe(true);
  });
});
