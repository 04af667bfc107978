import { AUDIT_GROUP, AUTH_EVENTS_STREAM } from '@gatehouse/contracts';
import { loadEd25519Key } from '@gatehouse/runtime';
import { type ServiceProcess, waitFor } from '@gatehouse/runtime/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyTrail } from '../src/domain/verify.js';
import { createEnv, type Env, fullEvent, pendingCount, publish, rowCount, startAuditProcess } from './helpers.js';

type ReadyBody = { checks: { consumer: { detail: { stored: number } } } };

let env: Env;
const children: ServiceProcess[] = [];
const keyFile = `/tmp/gatehouse-audit-test-${process.pid}.pem`;

beforeEach(async () => {
  env = await createEnv();
});
afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.kill('SIGKILL')));
  await env.close();
});

async function startConsumer(name: string): Promise<ServiceProcess> {
  const child = await startAuditProcess(env, { keyFile, extra: { AUDIT_CONSUMER_NAME: name } });
  children.push(child);
  return child;
}

async function expectExactlyOnce(total: number): Promise<void> {
  const { rows } = await env.pool.query(
    'SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d, min(seq)::int AS lo, max(seq)::int AS hi FROM audit_events',
  );
  expect(rows[0]).toEqual({ n: total, d: total, lo: 1, hi: total });
  expect(await pendingCount(env.redis)).toBe(0);
  const dead = await env.pool.query('SELECT count(*)::int AS n FROM audit_dead_letters');
  expect(dead.rows[0].n).toBe(0);
  const { publicKey } = await loadEd25519Key(keyFile, { generate: false });
  expect((await verifyTrail(env.pool, publicKey)).failure).toBeNull();
}

// Each child process compiles the service with tsx on start; on a loaded
// 2-core machine five starts alone can take half a minute.
describe('consumers as real processes', () => {
  it('stores 5,000 events exactly once while the consumer is SIGKILLed mid-batch and restarted', async () => {
    const total = 5000;
    await publish(
      env.redis,
      Array.from({ length: total }, (_, i) => fullEvent({ type: 'auth.login.failed', subject: `u${i % 97}` })),
    );
    const kills = 4;
    for (let k = 0; k < kills; k++) {
      // Alternate a stable name (replays its own pending list) with a new one (left to XAUTOCLAIM).
      const child = await startConsumer(k % 2 === 0 ? 'pod-a' : `pod-${k}`);
      const before = await rowCount(env.pool);
      await waitFor(async () => (await rowCount(env.pool)) >= before + 300, 20_000, 'progress before the kill');
      await child.kill('SIGKILL');
    }
    expect(await rowCount(env.pool)).toBeLessThan(total);
    expect(await pendingCount(env.redis)).toBeGreaterThan(0);
    await startConsumer('pod-final');
    await waitFor(async () => (await rowCount(env.pool)) === total && (await pendingCount(env.redis)) === 0, 40_000);
    await expectExactlyOnce(total);
  }, 120_000);

  it('shares the stream between two consumers with no duplicates and a gap-free chain', async () => {
    const [a, b] = await Promise.all([startConsumer('pod-x'), startConsumer('pod-y')]);
    const total = 3000;
    for (let i = 0; i < total; i += 300) {
      await publish(
        env.redis,
        Array.from({ length: 300 }, () => fullEvent({ type: 'auth.login.succeeded' })),
      );
      await new Promise((r) => setTimeout(r, 30));
    }
    await waitFor(async () => (await rowCount(env.pool)) === total && (await pendingCount(env.redis)) === 0, 30_000);
    const stored = await Promise.all(
      [a, b].map(
        async (c) => ((await (await fetch(`${c?.url}/readyz`)).json()) as ReadyBody).checks.consumer.detail.stored,
      ),
    );
    expect(stored[0]).toBeGreaterThan(0);
    expect(stored[1]).toBeGreaterThan(0);
    expect(stored[0] + stored[1]).toBe(total);
    await expectExactlyOnce(total);
    const consumers = (await env.redis.xinfo('CONSUMERS', AUTH_EVENTS_STREAM, AUDIT_GROUP)) as unknown[];
    expect(consumers).toHaveLength(2);
  }, 90_000);
});
