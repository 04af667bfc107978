/**
 * Audit restart drill (npm run bench:drill): five kill -9 / restart cycles of
 * a real audit process while a backlog of BENCH_DRILL_EVENTS (50,000) drains,
 * then one last start. Checks exactly one row per event with no seq gap and
 * prints each start's time from listening to ready (target: under 10 s) and
 * from spawn to ready (which includes tsx compiling the sources). Exits 1 when
 * a check fails. A script, not a test: on a shared 2-core machine one run
 * takes about two minutes, over the test suite's per-file budget.
 */
import { waitFor } from '@gatehouse/runtime/testing';
import {
  createEnv,
  fullEvent,
  pendingCount,
  publish,
  rowCount,
  startAuditProcess,
} from '../services/audit/test/helpers.js';

const TOTAL = Number(process.env.BENCH_DRILL_EVENTS ?? 50_000);
const env = await createEnv();
const keyFile = `/tmp/gatehouse-audit-drill-${process.pid}.pem`;
const children: Array<{ kill(signal?: NodeJS.Signals): Promise<number | null> }> = [];

async function start() {
  const spawned = performance.now();
  const child = await startAuditProcess(env, {
    keyFile,
    readyPath: '/healthz',
    extra: { AUDIT_CONSUMER_NAME: 'pod-drill', AUDIT_BATCH_SIZE: '1000', AUDIT_DIGEST_INTERVAL_MS: '600000' },
  });
  children.push(child);
  const listening = performance.now();
  await waitFor(async () => (await fetch(`${child.url}/readyz`)).ok, 60_000, 'ready');
  const now = performance.now();
  return { child, readyMs: Math.round(now - listening), spawnMs: Math.round(now - spawned) };
}

let failed = false;
try {
  const events = Array.from({ length: TOTAL }, (_, i) =>
    fullEvent({ type: 'auth.login.failed', username: `u${i % 300}` }),
  );
  await publish(env.redis, events);
  const starts: Array<{ readyMs: number; spawnMs: number }> = [];
  for (let cycle = 0; cycle < 5; cycle++) {
    const { child, ...times } = await start();
    starts.push(times);
    const before = await rowCount(env.pool);
    await waitFor(async () => (await rowCount(env.pool)) >= before + 1000, 60_000, `progress in cycle ${cycle}`);
    await child.kill('SIGKILL');
  }
  const { child: _last, ...times } = await start();
  starts.push(times);
  await waitFor(
    async () => (await rowCount(env.pool)) === TOTAL && (await pendingCount(env.redis)) === 0,
    300_000,
    'the backlog drained',
  );
  const { rows } = await env.pool.query(
    'SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d, min(seq)::int AS lo, max(seq)::int AS hi FROM audit_events',
  );
  const exact = rows[0].n === TOTAL && rows[0].d === TOTAL && rows[0].lo === 1 && rows[0].hi === TOTAL;
  const quick = starts.every((s) => s.readyMs < 10_000);
  failed = !exact || !quick;
  console.log(JSON.stringify({ events: TOTAL, rows: rows[0], exactlyOnceNoGap: exact, starts }, null, 2));
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  await Promise.all(children.map((c) => c.kill('SIGKILL')));
  await env.close();
}
process.exit(failed ? 1 : 0);
