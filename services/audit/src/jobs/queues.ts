import type { Logger, Redis } from '@gatehouse/runtime';
import { type DefaultJobOptions, Queue } from 'bullmq';

/** The BullMQ queues of the audit service (Redis keys `<AUDIT_QUEUE_PREFIX>:<name>:*`). */
const QUEUE_NAMES = {
  maintenance: 'audit-maintenance',
  webhooks: 'audit-webhooks',
  exports: 'audit-exports',
} as const;

/** One queue per kind of work. */
export type AuditQueues = { [K in keyof typeof QUEUE_NAMES]: Queue };

/** The counts `/readyz` and metrics report for one queue. */
export interface QueueCounts {
  waiting: number;
  active: number;
  failed: number;
  delayed: number;
}

const DAY_S = 24 * 3600;

function defaults(name: keyof AuditQueues, config: { attempts: number; backoffMs: number }): DefaultJobOptions {
  switch (name) {
    case 'maintenance':
      return { removeOnComplete: { count: 100 }, removeOnFail: { count: 1000 } };
    case 'webhooks':
      // Failed deliveries are kept (listable and retryable) for 30 days.
      return {
        attempts: config.attempts,
        backoff: { type: 'exponential', delay: config.backoffMs },
        removeOnComplete: { age: 7 * DAY_S, count: 10_000 },
        removeOnFail: { age: 30 * DAY_S, count: 100_000 },
      };
    case 'exports':
      return {
        attempts: 3,
        backoff: { type: 'exponential', delay: 5000 },
        removeOnComplete: { age: 7 * DAY_S },
        removeOnFail: { age: 30 * DAY_S },
      };
  }
}

/**
 * Creates the producer side of the queues on the service's command
 * connection (fail-fast: an API call answers 503 rather than hang while Redis
 * is away), each with an `error` listener.
 *
 * @example
 * ```ts
 * const queues = createQueues({ connection: redis, prefix: 'bull', logger, attempts: 10, backoffMs: 1000 });
 * ```
 */
export function createQueues(options: {
  connection: Redis;
  prefix: string;
  logger: Logger;
  attempts: number;
  backoffMs: number;
}): AuditQueues {
  const make = (key: keyof AuditQueues) => {
    const queue = new Queue(QUEUE_NAMES[key], {
      connection: options.connection,
      prefix: options.prefix,
      defaultJobOptions: defaults(key, options),
      // BullMQ's set-up (wait for ready, INFO for the version) runs once: on this fail-fast
      // connection one timed-out INFO would leave the queue failing every call for good.
      skipWaitingForReady: true,
      skipVersionCheck: true,
    });
    const log = options.logger.child({ queue: QUEUE_NAMES[key] });
    queue.on('error', (err) => log.warn({ err }, 'queue error'));
    return queue;
  };
  return { maintenance: make('maintenance'), webhooks: make('webhooks'), exports: make('exports') };
}

/**
 * Waiting, active, failed and delayed job counts of every audit queue, keyed
 * by queue name: for `/readyz` details and for metrics.
 *
 * @example
 * ```ts
 * const counts = await queueCounts(app.auditQueues); // { 'audit-exports': { waiting: 0, ... }, ... }
 * ```
 */
export async function queueCounts(queues: AuditQueues): Promise<Record<string, QueueCounts>> {
  const entries = await Promise.all(
    Object.values(queues).map(async (q) => {
      const c = await q.getJobCounts('waiting', 'active', 'failed', 'delayed');
      const counts = { waiting: c.waiting ?? 0, active: c.active ?? 0, failed: c.failed ?? 0, delayed: c.delayed ?? 0 };
      return [q.name, counts] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/** Closes the producers (the shared connection stays open). */
export async function closeQueues(queues: AuditQueues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()));
}
