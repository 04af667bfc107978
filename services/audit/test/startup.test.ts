import { proxyFor, type ServiceProcess, type TcpProxy, waitFor } from '@gatehouse/runtime/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEnv, type Env, fullEvent, pendingCount, publish, rowCount, startAuditProcess } from './helpers.js';

type Readiness = { status: string; checks: Record<string, { ok: boolean; detail: unknown }> };

let env: Env;
let proxy: (TcpProxy & { url: string }) | undefined;
const children: ServiceProcess[] = [];
const keyFile = `/tmp/gatehouse-audit-startup-${process.pid}.pem`;

beforeEach(async () => {
  env = await createEnv();
});
afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.kill('SIGKILL')));
  await proxy?.close();
  proxy = undefined;
  await env.close();
});

async function readiness(child: ServiceProcess): Promise<{ code: number; body: Readiness }> {
  const response = await fetch(`${child.url}/readyz`);
  return { code: response.status, body: (await response.json()) as Readiness };
}

describe('audit start-up waits for its dependencies instead of dying', () => {
  it('starts idle with REDIS_COMMAND_TIMEOUT_MS=50', async () => {
    const child = await startAuditProcess(env, { keyFile, extra: { REDIS_COMMAND_TIMEOUT_MS: '50' } });
    children.push(child);
    await publish(env.redis, [fullEvent({ type: 'auth.login.succeeded' })]);
    await waitFor(async () => (await rowCount(env.pool)) === 1, 20_000, 'the event stored');
    expect(child.output.join('\n')).not.toContain('shutting down after an error');
  }, 60_000);

  it('is live but not ready while Redis answers late, then becomes ready and drains 100,000 waiting entries', async () => {
    const total = 100_000;
    const events = Array.from({ length: total }, (_, i) =>
      fullEvent({ type: 'auth.login.failed', username: `u${i % 500}` }),
    );
    await publish(env.redis, events);
    // Every reply from Redis arrives 1.5 s late: three times the command timeout.
    proxy = await proxyFor(env.server.url, { replyDelayMs: 1500 });
    const child = await startAuditProcess(env, {
      keyFile,
      redisUrl: proxy.url,
      readyPath: '/healthz',
      extra: {
        REDIS_COMMAND_TIMEOUT_MS: '500',
        AUDIT_BATCH_SIZE: '1000',
        AUDIT_RETRY_MAX_MS: '500',
        // The jobs' schedules are part of start-up; their runs would only compete with the drain.
        AUDIT_DIGEST_INTERVAL_MS: '600000',
        AUDIT_DETECT_INTERVAL_MS: '600000',
      },
    });
    children.push(child);
    let waiting: Readiness | undefined;
    await waitFor(
      async () => {
        const { code, body } = await readiness(child);
        if (code === 503 && body.checks.startup?.ok === false) waiting = body;
        return waiting !== undefined;
      },
      20_000,
      'readiness naming the start-up step it waits for',
    );
    expect(String(waiting?.checks.startup?.detail)).toMatch(/^waiting for /);
    expect((await fetch(`${child.url}/healthz`)).status).toBe(200);
    proxy.setReplyDelay(0);
    await waitFor(async () => (await readiness(child)).code === 200, 30_000, 'ready once Redis answers in time');
    await waitFor(
      async () => (await rowCount(env.pool)) === total && (await pendingCount(env.redis)) === 0,
      120_000,
      'the backlog drained',
    );
    expect(child.child.exitCode).toBeNull();
    expect(child.output.join('\n')).not.toContain('shutting down after an error');
  }, 200_000);
});
