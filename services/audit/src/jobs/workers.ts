import type { AuditAlertView } from '@gatehouse/contracts';
import type { Ed25519KeyPair, Logger, Pool, Redis } from '@gatehouse/runtime';
import { type Processor, Worker } from 'bullmq';
import { type AuditConfig, webhookUrls } from '../config.js';
import { detectionRules } from '../domain/detection-rules.js';
import { exportProcessor } from './export.worker.js';
import { maintenanceProcessor } from './maintenance.worker.js';
import type { AuditQueues } from './queues.js';
import { webhookProcessor } from './webhook.worker.js';

/** What the workers need: `connection` is a `worker`-role client (`maxRetriesPerRequest: null`). */
export interface WorkerDeps {
  config: Readonly<AuditConfig>;
  logger: Logger;
  pool: Pool;
  /** Where exports read (a replica); `pool` when absent. */
  readPool?: Pool;
  keys: Ed25519KeyPair;
  queues: AuditQueues;
  connection: Redis;
  onAlerts?: (alerts: AuditAlertView[]) => void;
}

/** Registers (or updates) the repeatable maintenance jobs; idempotent, so every worker process may call it. */
export async function upsertSchedules(queues: AuditQueues, config: Readonly<AuditConfig>): Promise<void> {
  const every: Array<[string, number]> = [
    ['digest', config.AUDIT_DIGEST_INTERVAL_MS],
    ['retention', config.AUDIT_RETENTION_INTERVAL_MS],
    ['detect', config.AUDIT_DETECT_INTERVAL_MS],
  ];
  for (const [name, ms] of every) {
    await queues.maintenance.upsertJobScheduler(name, { every: ms }, { name });
  }
}

/**
 * Starts one BullMQ worker per queue (BullMQ gives each its own blocking
 * connection) with an `error` listener each; the schedules are
 * {@link upsertSchedules}'. Returns the close function: it stops fetching and
 * waits for running jobs (SIGTERM path; a maintenance job stops between its
 * batches); a job whose process dies is moved back to waiting by another
 * worker once its lock (`AUDIT_JOB_LOCK_MS`) expires.
 */
export function startWorkers(deps: WorkerDeps): () => Promise<void> {
  const { config, queues } = deps;
  const stopping = new AbortController();
  const options = {
    connection: deps.connection,
    prefix: config.AUDIT_QUEUE_PREFIX,
    lockDuration: config.AUDIT_JOB_LOCK_MS,
    stalledInterval: config.AUDIT_JOB_LOCK_MS,
    maxStalledCount: 2,
  };
  const make = (queue: keyof AuditQueues, processor: Processor, concurrency: number) => {
    const worker = new Worker(queues[queue].name, processor, { ...options, concurrency });
    const log = deps.logger.child({ queue: worker.name });
    worker.on('error', (err) => log.warn({ err }, 'worker error'));
    worker.on('failed', (job, err) =>
      log.warn({ jobId: job?.id, job: job?.name, attemptsMade: job?.attemptsMade, err: err.message }, 'job failed'),
    );
    return worker;
  };
  const workers = [
    make(
      'maintenance',
      maintenanceProcessor({
        pool: deps.pool,
        logger: deps.logger,
        keys: deps.keys,
        rules: detectionRules(config),
        webhooks: queues.webhooks,
        webhookUrls: webhookUrls(config),
        retentionDays: config.AUDIT_RETENTION_DAYS,
        keepDays: {
          exports: config.AUDIT_EXPORT_RETENTION_DAYS,
          reads: config.AUDIT_READS_RETENTION_DAYS,
          alerts: config.AUDIT_ALERTS_RETENTION_DAYS,
          deadLetters: config.AUDIT_DEAD_LETTERS_RETENTION_DAYS,
          deliveries: config.AUDIT_DELIVERIES_RETENTION_DAYS,
        },
        redis: deps.connection,
        signal: stopping.signal,
        ...(deps.onAlerts ? { onAlerts: deps.onAlerts } : {}),
      }),
      2,
    ),
    make(
      'webhooks',
      webhookProcessor({
        pool: deps.pool,
        logger: deps.logger,
        secret: config.AUDIT_WEBHOOK_SECRET,
        timeoutMs: config.AUDIT_WEBHOOK_TIMEOUT_MS,
      }),
      4,
    ),
    make(
      'exports',
      exportProcessor({
        pool: deps.pool,
        readPool: deps.readPool ?? deps.pool,
        logger: deps.logger,
        dir: config.AUDIT_EXPORT_DIR,
      }),
      1,
    ),
  ];
  return async () => {
    stopping.abort();
    await Promise.all(workers.map((w) => w.close()));
  };
}
