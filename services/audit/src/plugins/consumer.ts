import { AUDIT_GROUP, AUTH_EVENTS_STREAM } from '@gatehouse/contracts';
import type { Logger, Pool, Redis, Startup } from '@gatehouse/runtime';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { AuditConfig } from '../config.js';
import { AuthEventsConsumer } from '../consumers/auth-events.consumer.js';
import { trimAcknowledged } from '../consumers/trim.js';

/** What the consumer plugin needs. */
interface ConsumerPluginOptions {
  config: AuditConfig;
  redis: Redis;
  blocking: Redis;
  pool: Pool;
  logger: Logger;
  startup: Startup;
  onStored: () => void;
}

declare module 'fastify' {
  interface FastifyInstance {
    auditConsumer: AuthEventsConsumer;
  }
}

function every(ms: number, task: () => Promise<void>): NodeJS.Timeout {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task().finally(() => {
      running = false;
    });
  }, ms);
  timer.unref();
  return timer;
}

/**
 * Runs the `auth-events` consumer (started as a start-up step, stopped in
 * `onClose`) and the stream trimmer on an interval timer. (Digests are a
 * BullMQ repeatable job: plugins/jobs.ts.)
 */
export default fp(
  async function consumerPlugin(app: FastifyInstance, options: ConsumerPluginOptions) {
    const { config, redis, pool } = options;
    const log = options.logger.child({ stream: AUTH_EVENTS_STREAM, group: AUDIT_GROUP });
    const consumer = new AuthEventsConsumer(
      { redis, blocking: options.blocking, pool, logger: options.logger, onStored: options.onStored },
      {
        ref: { stream: AUTH_EVENTS_STREAM, group: AUDIT_GROUP, consumer: config.AUDIT_CONSUMER_NAME },
        batchSize: config.AUDIT_BATCH_SIZE,
        blockMs: config.AUDIT_BLOCK_MS,
        claimIdleMs: config.AUDIT_CLAIM_IDLE_MS,
        claimIntervalMs: config.AUDIT_CLAIM_INTERVAL_MS,
        maxDeliveries: config.AUDIT_MAX_DELIVERIES,
        retryMaxMs: config.AUDIT_RETRY_MAX_MS,
      },
    );
    app.decorate('auditConsumer', consumer);
    const timers: NodeJS.Timeout[] = [];
    // A start-up step, so it begins after the migrations; it retries its own group creation.
    options.startup.add('consumer', async () => {
      consumer.start();
      timers.push(
        every(config.AUDIT_TRIM_INTERVAL_MS, async () => {
          const trimmed = await trimAcknowledged(redis, AUTH_EVENTS_STREAM, AUDIT_GROUP).catch((err) => {
            log.warn({ err }, 'stream trim failed');
            return 0;
          });
          if (trimmed > 0) log.debug({ trimmed }, 'stream trimmed below the acknowledged entries');
        }),
      );
    });
    app.addHook('onClose', async () => {
      for (const timer of timers) clearInterval(timer);
      await consumer.stop();
    });
  },
  { name: 'audit-consumer', fastify: '5.x' },
);
