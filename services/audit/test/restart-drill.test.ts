import { waitFor } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEnv, type Env, fullEvent, pendingCount, publish, rowCount, startAuditProcess } from './helpers.js';

// Five kill -9 / restart cycles of a real audit process while a backlog of
// 50,000 events drains, then one last start: exactly one row per event, no seq
// gap, and every start ready within 10 s of listening (spawn-to-listen is tsx
// compiling the sources, which a built image does not do).
const TOTAL = 50_000;
let env: Env;
const children: Array<{ kill(signal?: NodeJS.Signals): Promise<number | null> }> = [];

beforeAll(async () => {
  env = await createEnv();
});
afterAll(async () => {
  await Promise.all(children.map((c) => c.kill('SIGKILL')));
  await env.close();
});

async function start(keyFile: string) {
  const child = await startAuditProcess(env, {
    keyFile,
    readyPath: '/healthz',
    extra: { AUDIT_CONSUMER_NAME: 'pod-drill', AUDIT_BATCH_SIZE: '1000', AUDIT_DIGEST_INTERVAL_MS: '600000' },
  });
  children.push(child);
  const listening = performance.now();
  await waitFor(async () => (await fetch(`${child.url}/readyz`)).ok, 60_000, 'ready');
  return { child, readyMs: performance.now() - listening };
}

it('stores a 50,000-event backlog exactly once, with no gap, across five kill -9 restarts, each ready within 10 s', async () => {
  const keyFile = `/tmp/gatehouse-audit-drill-${process.pid}.pem`;
  await publish(
    env.redis,
    Array.from({ length: TOTAL }, (_, i) => fullEvent({ type: 'auth.login.failed', username: `u${i % 300}` })),
  );
  const readyMs: number[] = [];
  for (let cycle = 0; cycle < 5; cycle++) {
    const { child, readyMs: ms } = await start(keyFile);
    readyMs.push(ms);
    const before = await rowCount(env.pool);
    await waitFor(async () => (await rowCount(env.pool)) >= before + 1000, 60_000, `progress in cycle ${cycle}`);
    await child.kill('SIGKILL');
  }
  readyMs.push((await start(keyFile)).readyMs);
  await waitFor(
    async () => (await rowCount(env.pool)) === TOTAL && (await pendingCount(env.redis)) === 0,
    120_000,
    'the backlog drained',
  );
  const { rows } = await env.pool.query(
    'SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d, min(seq)::int AS lo, max(seq)::int AS hi FROM audit_events',
  );
  expect(rows[0]).toEqual({ n: TOTAL, d: TOTAL, lo: 1, hi: TOTAL });
  console.log(`restart drill: ready ${readyMs.map((ms) => Math.round(ms)).join(', ')} ms after listening`);
  expect(Math.max(...readyMs)).toBeLessThan(10_000);
}, 300_000);
