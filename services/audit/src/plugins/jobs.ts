import type { AuditAlertView } from '@gatehouse/contracts';
import type { Ed25519KeyPair, Logger, Pool, Redis, Startup } from '@gatehouse/runtime';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { AuditConfig } from '../config.js';
import { type AuditQueues, closeQueues, createQueues } from '../jobs/queues.js';
import { startWorkers, upsertSchedules } from '../jobs/workers.js';

/** What the jobs plugin needs; `workerRedis` is required when `AUDIT_WORKERS` is on. */
interface JobsPluginOptions {
  config: AuditConfig;
  logger: Logger;
  pool: Pool;
  readPool?: Pool;
  keys: Ed25519KeyPair;
  redis: Redis;
  workerRedis?: Redis;
  startup: Startup;
  onAlerts: (alerts: AuditAlertView[]) => void;
}

declare module 'fastify' {
  interface FastifyInstance {
    auditQueues: AuditQueues;
  }
}

/**
 * The BullMQ side: producers for the routes (always), and, when
 * `AUDIT_WORKERS` is on, the workers and their schedules, two start-up steps
 * (retried until Redis answers), closed in `onClose` (a running job stops
 * between batches) before the clients are quit.
 */
export default fp(
  async function jobsPlugin(app: FastifyInstance, options: JobsPluginOptions) {
    const { config } = options;
    const queues = createQueues({
      connection: options.redis,
      prefix: config.AUDIT_QUEUE_PREFIX,
      logger: options.logger,
      attempts: config.AUDIT_WEBHOOK_ATTEMPTS,
      backoffMs: config.AUDIT_WEBHOOK_BACKOFF_MS,
    });
    app.decorate('auditQueues', queues);
    let stopWorkers: (() => Promise<void>) | undefined;
    if (config.AUDIT_WORKERS) {
      const connection = options.workerRedis;
      if (!connection) throw new Error('AUDIT_WORKERS needs a worker Redis connection');
      options.startup.add('job workers', async () => {
        stopWorkers ??= startWorkers({ ...options, queues, connection });
      });
      let scheduled = false;
      options.startup.add('job schedules', async () => {
        await upsertSchedules(queues, config);
        scheduled = true;
      });
      // A Redis that restarted without its data lost the schedules with it: set them again.
      connection.on('ready', () => {
        if (!scheduled) return;
        upsertSchedules(queues, config).catch((err) => options.logger.warn({ err }, 'job schedules not restored'));
      });
    }
    app.addHook('onClose', async () => {
      await stopWorkers?.();
      await closeQueues(queues);
    });
  },
  { name: 'audit-jobs', fastify: '5.x' },
);
