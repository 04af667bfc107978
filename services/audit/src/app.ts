import { ASSERTION_AUDIT_AUDIENCE } from '@gatehouse/contracts';
import type { Ed25519KeyPair, Logger, Pool, Redis } from '@gatehouse/runtime';
import { createBaseApp, healthPlugin, openapiPlugin, Startup } from '@gatehouse/runtime';
import { createIdentityVerifier } from '@gatehouse/upstream';
import type { JWTVerifyGetKey } from 'jose';
import type { AuditConfig } from './config.js';
import { AlertFeed } from './domain/alert-feed.js';
import { LiveFeed } from './domain/live-feed.js';
import { SessionWatch } from './domain/session-watch.js';
import { queueCounts } from './jobs/queues.js';
import consumerPlugin from './plugins/consumer.js';
import jobsPlugin from './plugins/jobs.js';
import metricsPlugin from './plugins/metrics.js';
import readerIdentity from './plugins/reader-identity.js';
import { alertsAfter, lastAlertId } from './repositories/alerts.repository.js';
import { readHead } from './repositories/chain.repository.js';
import { eventsAfter } from './repositories/query.repository.js';
import alertsRoutes from './routes/alerts/index.js';
import eventsRoutes from './routes/events/index.js';
import exportsRoutes from './routes/exports/index.js';
import readsRoutes from './routes/reads/index.js';
import statsRoutes from './routes/stats/index.js';
import streamRoutes from './routes/stream/index.js';
import usersRoutes from './routes/users/index.js';
import verifyRoutes from './routes/verify/index.js';

/**
 * Everything the audit app needs; `blocking` is required when the consumer
 * runs, `workerRedis` (a `worker`-role connection) when the workers run.
 */
export interface AuditDeps {
  config: AuditConfig;
  logger: Logger;
  redis: Redis;
  blocking?: Redis;
  workerRedis?: Redis;
  pool: Pool;
  /** Where the query API and exports read (`AUDIT_READ_DATABASE_URL`, a replica); `pool` when absent. */
  readPool?: Pool;
  keys: Ed25519KeyPair;
  /** The gateway's assertion keys; defaults to its JWKS at `AUDIT_GATEWAY_JWKS_URL`. */
  assertionKeys?: JWTVerifyGetKey;
  clock?: () => Date;
  /** Closes the clients, after every other `onClose` hook (see `createBaseApp`). */
  closeClients?: () => Promise<void>;
  /** Start-up steps the caller adds before the app's own (server.ts: migrations); a new one by default. */
  startup?: Startup;
}

/** Whether this process consumes `auth-events` / serves the query API (`AUDIT_ROLE=worker` does neither). */
export function roles(config: AuditConfig) {
  const api = config.AUDIT_ROLE === 'all';
  return { api, consume: api && config.AUDIT_CONSUME, workers: config.AUDIT_WORKERS || !api };
}

/**
 * Builds the audit app (never listens): OpenAPI → health → reader identity
 * and read recording → query routes → the consumer → the BullMQ jobs.
 * With `AUDIT_ROLE=worker` only health and the workers run.
 *
 * @example
 * ```ts
 * const app = await buildApp({ config, logger, redis, blocking, pool, keys });
 * ```
 */
export async function buildApp(deps: AuditDeps) {
  const { pool, redis } = deps;
  const readPool = deps.readPool ?? pool;
  const role = roles(deps.config);
  const config = { ...deps.config, AUDIT_CONSUME: role.consume, AUDIT_WORKERS: role.workers };
  const startup = deps.startup ?? new Startup({ logger: deps.logger, maxDelayMs: config.AUDIT_RETRY_MAX_MS });
  const app = createBaseApp({ logger: deps.logger, ...(deps.closeClients ? { closeClients: deps.closeClients } : {}) });
  app.setSchemaErrorFormatter((errors, dataVar) => {
    const first = errors[0];
    const extra = (first?.params as { additionalProperty?: string } | undefined)?.additionalProperty;
    return new Error(
      `${dataVar}${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}${extra ? `: '${extra}'` : ''}`,
    );
  });
  const feed = new LiveFeed(
    { eventsAfter: (after, limit) => eventsAfter(pool, after, limit), headSeq: async () => (await readHead(pool)).seq },
    { pollMs: config.AUDIT_LIVE_POLL_MS, logger: deps.logger },
  );
  const alerts = new AlertFeed(
    { alertsAfter: (after, limit) => alertsAfter(pool, after, limit), lastId: () => lastAlertId(pool) },
    { pollMs: config.AUDIT_LIVE_POLL_MS, logger: deps.logger },
  );
  await app.register(metricsPlugin, { redis });
  await app.register(openapiPlugin, {
    openapi: {
      info: {
        title: 'Gatehouse audit',
        version: '1.0.0',
        description:
          'The audit trail of every auth event. Reached through the gateway with the auditor role; every call is recorded.',
      },
      tags: [
        { name: 'events', description: 'Stored auth events' },
        { name: 'trail', description: 'Tamper evidence and the readers of the trail' },
      ],
    },
  });
  await app.register(healthPlugin, {
    startup,
    checks: {
      postgres: async () => void (await pool.query('SELECT 1')),
      ...(readPool === pool ? {} : { 'postgres-read': async () => void (await readPool.query('SELECT 1')) }),
      redis: async () => void (await redis.ping()),
      ...(config.AUDIT_CONSUME
        ? {
            consumer: async () => {
              const status = app.auditConsumer.status;
              if (status.state === 'paused') throw new Error(`paused: ${status.lastError}`);
              if (status.lastError) throw new Error(`${status.state}: ${status.lastError}`);
              return status;
            },
          }
        : {}),
      jobs: async () => await queueCounts(app.auditQueues),
    },
  });
  if (role.api) {
    const verify = createIdentityVerifier({
      audience: ASSERTION_AUDIT_AUDIENCE,
      ...(deps.assertionKeys ? { keys: deps.assertionKeys } : { jwksUrl: config.AUDIT_GATEWAY_JWKS_URL }),
    });
    await app.register(readerIdentity, { pool, verify });
    await app.register(eventsRoutes, { pool: readPool });
    await app.register(statsRoutes, { pool: readPool });
    await app.register(usersRoutes, { pool: readPool, redis, clock: deps.clock ?? (() => new Date()) });
    await app.register(verifyRoutes, { pool, publicKey: deps.keys.publicKey });
    await app.register(readsRoutes, { pool });
    const sessions = new SessionWatch({ redis, logger: deps.logger, intervalMs: config.AUDIT_SESSION_CHECK_MS });
    await app.register(streamRoutes, { feed, alerts, sessions, heartbeatMs: config.AUDIT_SSE_HEARTBEAT_MS });
  }
  if (config.AUDIT_CONSUME) {
    if (!deps.blocking) throw new Error('AUDIT_CONSUME needs a blocking Redis connection');
    await app.register(consumerPlugin, {
      ...deps,
      config,
      startup,
      blocking: deps.blocking,
      onStored: () => feed.notify(),
    });
  }
  await app.register(jobsPlugin, { ...deps, config, startup, onAlerts: () => alerts.notify() });
  if (role.api) {
    await app.register(alertsRoutes, { pool, webhooks: app.auditQueues.webhooks });
    await app.register(exportsRoutes, { pool, exports: app.auditQueues.exports });
  }
  app.addHook('onClose', async () => {
    await feed.close();
    await alerts.close();
  });
  return app;
}

/** The type of the audit app. */
export type AuditApp = Awaited<ReturnType<typeof buildApp>>;
