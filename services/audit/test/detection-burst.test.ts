import { waitFor } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditApp } from '../src/app.js';
import { createEnv, type Env, fullEvent, makeApp, publish, rowCount } from './helpers.js';

let env: Env;
let app: AuditApp;
beforeAll(async () => {
  env = await createEnv();
  app = await makeApp(env, {
    overrides: {
      AUDIT_WORKERS: 'true',
      AUDIT_BATCH_SIZE: '1000',
      AUDIT_DETECT_INTERVAL_MS: '300',
      AUDIT_DIGEST_INTERVAL_MS: '600000',
    },
  });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await env.close();
});

async function detectionPosition(): Promise<number> {
  const { rows } = await env.pool.query<{ last_seq: string }>('SELECT last_seq FROM audit_detection_state WHERE id');
  return Number(rows[0]?.last_seq ?? 0);
}

describe('detection after a dense burst', () => {
  it('catches up with 20,000 failed logins for 50 usernames from one address in 10 s, in bounded runs', async () => {
    const total = 20_000;
    const start = Date.now() - 60_000;
    const burst = Array.from({ length: total }, (_, i) =>
      fullEvent(
        { type: 'auth.login.failed', username: `victim${i % 50}`, subject: null, ip: '198.51.100.9' },
        new Date(start + Math.floor(i / 2)),
      ),
    );
    await publish(env.redis, burst);
    await waitFor(async () => (await rowCount(env.pool)) === total, 60_000, 'the burst stored');
    await waitFor(async () => (await detectionPosition()) === total, 60_000, 'detection at the head');
    const { rows } = await env.pool.query<{ rule: string; subjects: number }>(
      'SELECT rule, count(DISTINCT subject)::int AS subjects FROM audit_alerts GROUP BY rule ORDER BY rule',
    );
    expect(rows).toEqual([
      { rule: 'brute_force', subjects: 50 },
      { rule: 'credential_stuffing', subjects: 1 },
    ]);
    const failed = await app.auditQueues.maintenance.getJobCounts('failed');
    expect(failed.failed).toBe(0);
  }, 150_000);
});
