import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import {
  AUDIT_WEBHOOK_SIGNATURE_HEADER,
  AUDIT_WEBHOOK_TIMESTAMP_HEADER,
  type AuditAlertView,
  type AuditWebhookPayload,
} from '@gatehouse/contracts';
import { waitFor } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditApp } from '../src/app.js';
import { isWebhookSignatureValid } from '../src/domain/webhook-signature.js';
import { AUDITOR, createEnv, type Env, fullEvent, makeApp, storeDirect } from './helpers.js';

const SECRET = randomBytes(24).toString('hex');

/** A real HTTP receiver: answers 500 to the first `failFirst` attempts of each delivery, then 200. */
async function receiver(failFirst: number) {
  const received: Array<{ payload: AuditWebhookPayload; valid: boolean; timestamp: string | undefined }> = [];
  const state = { failFirst };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const signature = req.headers[AUDIT_WEBHOOK_SIGNATURE_HEADER] as string | undefined;
      const payload = JSON.parse(raw.toString()) as AuditWebhookPayload;
      received.push({
        payload,
        valid: isWebhookSignatureValid(SECRET, raw, signature),
        timestamp: req.headers[AUDIT_WEBHOOK_TIMESTAMP_HEADER] as string | undefined,
      });
      res.writeHead(payload.attempt <= state.failFirst ? 500 : 200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hooks/s3cr3t-token`, received, state, close: () => server.close() };
}

/** Collects `event: alert` messages from the live stream. */
async function alertStream(base: string) {
  const controller = new AbortController();
  const response = await fetch(`${base}/audit/stream?username=wh-user`, {
    headers: AUDITOR,
    signal: controller.signal,
  });
  const reader = response.body?.getReader();
  if (!reader) throw new Error('no body');
  const alerts: AuditAlertView[] = [];
  void (async () => {
    let buffer = '';
    const decoder = new TextDecoder();
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (chunk.done) return;
      buffer += decoder.decode(chunk.value, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (data && /^event: alert$/m.test(block)) alerts.push(JSON.parse(data));
      }
    }
  })();
  return { alerts, close: () => controller.abort() };
}

let env: Env;
beforeAll(async () => {
  env = await createEnv();
});
afterAll(async () => {
  await env.close();
});

describe('alerts and webhooks', () => {
  it('raises an alert, streams it, delivers it signed after two failed attempts, and keeps a dead receiver retryable', async () => {
    const flaky = await receiver(2);
    const dead = await receiver(Number.MAX_SAFE_INTEGER);
    const app: AuditApp = await makeApp(env, {
      overrides: {
        AUDIT_CONSUME: 'false',
        AUDIT_WORKERS: 'true',
        AUDIT_QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
        AUDIT_DETECT_INTERVAL_MS: '200',
        AUDIT_BRUTE_FORCE_FAILURES: '3',
        AUDIT_ALERT_WEBHOOKS: `${flaky.url},${dead.url}`,
        AUDIT_WEBHOOK_SECRET: SECRET,
        AUDIT_WEBHOOK_ATTEMPTS: '3',
        AUDIT_WEBHOOK_BACKOFF_MS: '50',
      },
    });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const stream = await alertStream(base);
    try {
      const failures = [0, 1, 2].map(() =>
        fullEvent({ type: 'auth.login.failed', username: 'wh-user', subject: null }),
      );
      await storeDirect(env.pool, failures);

      await waitFor(async () => stream.alerts.length === 1, 15_000, 'the alert on the live stream');
      const listed = (await app.inject({ url: '/audit/alerts?rule=brute_force', headers: AUDITOR })).json();
      expect(listed.alerts).toEqual([stream.alerts[0]]);
      expect(stream.alerts[0]).toMatchObject({ subject: 'wh-user', eventIds: failures.map((e) => e.id) });

      await waitFor(async () => flaky.received.length === 3, 15_000, 'three attempts at the flaky receiver');
      expect(flaky.received.map((r) => r.payload.attempt)).toEqual([1, 2, 3]);
      expect(flaky.received.every((r) => r.valid && r.timestamp === String(r.payload.timestamp))).toBe(true);
      expect(flaky.received[2]?.payload.alert).toEqual(stream.alerts[0]);
      expect(isWebhookSignatureValid('another-secret-value', JSON.stringify(flaky.received[0]?.payload), 'x')).toBe(
        false,
      );

      const failedList = async () =>
        (await app.inject({ url: '/audit/alerts/deliveries?state=failed', headers: AUDITOR })).json().deliveries;
      await waitFor(async () => (await failedList()).length === 1, 15_000, 'the dead receiver in the failed list');
      const [failed] = await failedList();
      expect(failed).toMatchObject({ alertId: stream.alerts[0]?.id, attemptsMade: 3, state: 'failed' });
      expect(failed.target).toBe(new URL(dead.url).origin);
      expect(failed.failedReason).toMatch(/500/);
      expect(dead.received).toHaveLength(3);

      const ready = (await app.inject({ url: '/readyz' })).json();
      expect(ready.checks.jobs.detail['audit-webhooks']).toMatchObject({ failed: 1, active: 0 });

      dead.state.failFirst = 0;
      const retried = await app.inject({
        method: 'POST',
        url: `/audit/alerts/deliveries/${failed.id}/retry`,
        headers: AUDITOR,
      });
      expect(retried.statusCode).toBe(202);
      await waitFor(async () => (await failedList()).length === 0 && dead.received.length === 4, 15_000, 'retry');
      const again = await app.inject({
        method: 'POST',
        url: `/audit/alerts/deliveries/${failed.id}/retry`,
        headers: AUDITOR,
      });
      expect(again.statusCode).toBe(409);
      const missing = await app.inject({
        method: 'POST',
        url: '/audit/alerts/deliveries/alert-9999-0/retry',
        headers: AUDITOR,
      });
      expect(missing.statusCode).toBe(404);
      const bad = await app.inject({ url: '/audit/alerts/deliveries?state=lost', headers: AUDITOR });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toMatch(/state/);
    } finally {
      stream.close();
      await app.close();
      flaky.close();
      dead.close();
    }
  });
});
