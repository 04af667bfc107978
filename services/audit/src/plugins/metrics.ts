import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { AUTH_EVENTS_DEAD_STREAM, AUTH_EVENTS_STREAM } from '@gatehouse/contracts';
import { type GroupHealth, metricsPlugin, type Redis, readStreamHealth, type StreamHealth } from '@gatehouse/runtime';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Gauge, Histogram } from 'prom-client';
import { type BatchMessage, batchChannel } from '../consumers/auth-events.consumer.js';
import { queueCounts } from '../jobs/queues.js';

/**
 * `/metrics` of the audit service: the shared HTTP series; the stream's
 * length, dead letters, and each group's lag, pending and oldest pending age
 * (read at scrape time); consumer batch sizes and store latency; BullMQ job
 * counts by queue and state.
 */
export default fp(
  async function auditMetrics(app: FastifyInstance, options: { redis: Redis }) {
    await app.register(metricsPlugin);
    const registers = [app.metrics];
    const stream = { stream: AUTH_EVENTS_STREAM };
    // One XINFO round per scrape, shared by the gauges prom-client collects in parallel.
    let health: { at: number; value: Promise<StreamHealth> } | undefined;
    const readHealth = () => {
      if (!health || Date.now() - health.at > 1000) {
        health = {
          at: Date.now(),
          value: readStreamHealth(options.redis, AUTH_EVENTS_STREAM, AUTH_EVENTS_DEAD_STREAM),
        };
      }
      return health.value;
    };
    const streamGauge = (name: string, help: string, read: (h: StreamHealth) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['stream'],
        registers,
        async collect() {
          // Redis down: keep the last values rather than failing the whole scrape.
          const health = await readHealth().catch(() => null);
          if (health) this.set(stream, read(health));
        },
      });
    const groupGauge = (name: string, help: string, read: (g: GroupHealth) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['stream', 'group'],
        registers,
        async collect() {
          const health = await readHealth().catch(() => null);
          for (const g of health?.groups ?? []) this.set({ ...stream, group: g.name }, read(g));
        },
      });
    streamGauge('gatehouse_stream_length', 'Entries in the stream', (h) => h.length);
    streamGauge('gatehouse_stream_dead_letters', 'Entries in the dead-letter stream', (h) => h.deadLetters);
    groupGauge(
      'gatehouse_stream_group_lag',
      'Entries not yet delivered to the group (-1: unknown)',
      (g) => g.lag ?? -1,
    );
    groupGauge('gatehouse_stream_group_pending', 'Entries delivered but not acknowledged', (g) => g.pending);
    groupGauge(
      'gatehouse_stream_group_oldest_pending_seconds',
      'Age of the oldest unacknowledged entry',
      (g) => g.oldestPendingSeconds,
    );
    new Gauge({
      name: 'gatehouse_queue_jobs',
      help: 'BullMQ jobs by queue and state',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        if (!app.hasDecorator('auditQueues')) return;
        const counts = await queueCounts(app.auditQueues).catch(() => ({}));
        for (const [queue, byState] of Object.entries(counts)) {
          for (const [state, n] of Object.entries(byState)) this.set({ queue, state }, n);
        }
      },
    });
    const batchSize = new Histogram({
      name: 'gatehouse_audit_batch_size',
      help: 'Stream entries handled per consumer batch',
      buckets: [1, 5, 10, 50, 100, 250, 500, 1000, 5000],
      registers,
    });
    const insertSeconds = new Histogram({
      name: 'gatehouse_audit_insert_duration_seconds',
      help: 'Time to store one batch in PostgreSQL (one transaction)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    const onBatch = (message: unknown) => {
      const batch = message as BatchMessage;
      batchSize.observe(batch.entries);
      insertSeconds.observe(batch.seconds);
    };
    subscribe(batchChannel.name, onBatch);
    app.addHook('onClose', async () => {
      unsubscribe(batchChannel.name, onBatch);
    });
  },
  { name: 'audit-metrics', fastify: '5.x' },
);
