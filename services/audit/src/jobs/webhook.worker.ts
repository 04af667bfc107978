import {
  AUDIT_WEBHOOK_SIGNATURE_HEADER,
  AUDIT_WEBHOOK_TIMESTAMP_HEADER,
  type AuditDeliveryView,
  type AuditWebhookPayload,
} from '@gatehouse/contracts';
import type { Logger, Pool } from '@gatehouse/runtime';
import type { Job, Queue } from 'bullmq';
import { signWebhook } from '../domain/webhook-signature.js';
import { getAlert, markQueued, unqueuedAlertIds } from '../repositories/alerts.repository.js';

/** One webhook delivery job. */
export interface DeliveryData {
  alertId: number;
  url: string;
}

/** The receiver's origin: webhook paths often hold a secret token, so only the origin is logged or shown. */
function targetOf(url: string): string {
  return URL.canParse(url) ? new URL(url).origin : 'invalid-url';
}

/**
 * Queues one delivery per alert and URL for every alert not yet queued (the
 * outbox in `audit_alerts.enqueued_at`). Job ids are fixed per alert and URL,
 * so a repeat after a crash adds nothing twice.
 */
export async function queueDeliveries(pool: Pool, queue: Queue, urls: string[]): Promise<number> {
  const ids = await unqueuedAlertIds(pool);
  if (ids.length === 0) return 0;
  if (urls.length > 0) {
    await queue.addBulk(
      ids.flatMap((alertId) =>
        urls.map((url, i) => ({ name: 'deliver', data: { alertId, url }, opts: { jobId: `alert-${alertId}-${i}` } })),
      ),
    );
  }
  await markQueued(pool, ids);
  return ids.length * urls.length;
}

/**
 * POSTs the alert as JSON with an HMAC-SHA256 signature of the raw body; any
 * answer but 2xx, a timeout or a network error throws, and BullMQ retries
 * with exponential backoff until the job's attempts are spent (then it stays
 * in the failed list, retryable).
 */
export function webhookProcessor(deps: { pool: Pool; logger: Logger; secret: string; timeoutMs: number }) {
  return async (job: Job<DeliveryData>) => {
    const alert = await getAlert(deps.pool, job.data.alertId);
    if (!alert) return { skipped: 'alert no longer exists' };
    const timestamp = Math.floor(Date.now() / 1000);
    const payload: AuditWebhookPayload = {
      deliveryId: String(job.id),
      attempt: job.attemptsMade + 1,
      timestamp,
      alert,
    };
    const body = JSON.stringify(payload);
    const response = await fetch(job.data.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'gatehouse-audit-webhook/1',
        [AUDIT_WEBHOOK_TIMESTAMP_HEADER]: String(timestamp),
        [AUDIT_WEBHOOK_SIGNATURE_HEADER]: signWebhook(deps.secret, body),
      },
      body,
      signal: AbortSignal.timeout(deps.timeoutMs),
      redirect: 'manual',
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`receiver answered ${response.status}`);
    deps.logger.info({ jobId: job.id, alertId: alert.id, target: targetOf(job.data.url) }, 'alert delivered');
    return { status: response.status };
  };
}

/** A delivery job as the API shows it. */
export async function toDeliveryView(job: Job<DeliveryData>): Promise<AuditDeliveryView> {
  return {
    id: String(job.id),
    alertId: job.data.alertId,
    target: targetOf(job.data.url),
    state: await job.getState(),
    attemptsMade: job.attemptsMade,
    failedReason: job.failedReason ?? null,
    createdAt: new Date(job.timestamp).toISOString(),
    finishedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
  };
}
