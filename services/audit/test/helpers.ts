import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  ASSERTION_AUDIT_AUDIENCE,
  AUDIT_GROUP,
  AUTH_EVENTS_STREAM,
  type AuthEvent,
  type AuthEventInput,
  createAuthEvent,
  IDENTITY_HEADERS,
  sessionKey,
} from '@gatehouse/contracts';
import { createLogger, createPool, createRedis, type Pool, type Redis, waitForRedis } from '@gatehouse/runtime';
import {
  createTestDatabase,
  freePort,
  type ServiceProcess,
  startRedis,
  startServiceProcess,
  type TestDatabase,
  type TestRedis,
} from '@gatehouse/runtime/testing';
import { assertionKey, signAssertion } from '@gatehouse/upstream';
import { createLocalJWKSet } from 'jose';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type AuditApp, buildApp } from '../src/app.js';
import { type AuditConfig, loadServiceConfig } from '../src/config.js';
import { migrateAudit } from '../src/migrate.js';
import { storeBatch } from '../src/repositories/events.repository.js';

export const logger = createLogger({
  service: 'audit-test',
  level: process.env.AUDIT_TEST_LOG ?? 'silent',
  format: 'json',
});
export const SERVER_ENTRY = 'services/audit/src/server.ts';

/** A private Redis and database, migrated, with clients. */
export interface Env {
  server: TestRedis;
  db: TestDatabase;
  redis: Redis;
  pool: Pool;
  close(): Promise<void>;
}

export async function createEnv(): Promise<Env> {
  const [server, db] = await Promise.all([startRedis(), createTestDatabase()]);
  const redis = createRedis({ url: server.url, logger, name: 'test', commandTimeoutMs: 5000 });
  await waitForRedis(redis);
  // The test auditor's session is live, so streams it opens stay open.
  await redis.hset(sessionKey(AUDITOR['x-session-id']), 'sub', AUDITOR['x-user-id']);
  const pool = createPool({ url: db.url, logger, name: 'test' });
  await migrateAudit(pool);
  return {
    server,
    db,
    redis,
    pool,
    close: async () => {
      redis.disconnect();
      await pool.end();
      await Promise.all([server.stop(), db.drop()]);
    },
  };
}

/** An event of `type` with every field set, at `at`. */
export function fullEvent(input: Partial<AuthEventInput> & { type: AuthEvent['type'] }, at = new Date()): AuthEvent {
  return createAuthEvent(
    {
      source: 'auth',
      subject: 'user-1',
      username: 'alice',
      sessionId: 'sid-1',
      ip: '203.0.113.7',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) test',
      reason: null,
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      ...input,
    },
    at,
  );
}

/** XADDs events in pipelined chunks; returns their stream ids. */
export async function publish(redis: Redis, events: Array<AuthEvent | string>, stream = AUTH_EVENTS_STREAM) {
  const ids: string[] = [];
  for (let i = 0; i < events.length; i += 500) {
    const pipeline = redis.pipeline();
    for (const e of events.slice(i, i + 500)) {
      pipeline.xadd(stream, '*', 'event', typeof e === 'string' ? e : JSON.stringify(e));
    }
    for (const [err, id] of (await pipeline.exec()) ?? []) {
      if (err) throw err;
      ids.push(String(id));
    }
  }
  return ids;
}

export async function rowCount(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_events');
  return rows[0]?.n ?? 0;
}

export async function pendingCount(redis: Redis): Promise<number> {
  const summary = (await redis.xpending(AUTH_EVENTS_STREAM, AUDIT_GROUP)) as [number, ...unknown[]];
  return Number(summary[0]);
}

/**
 * Starts audit as a real child process on `env` (short consumer timings, a
 * digest key in `keyFile`), waiting for `readyPath` (`/readyz` by default).
 */
export async function startAuditProcess(
  env: Env,
  options: { keyFile: string; extra?: Record<string, string>; redisUrl?: string; readyPath?: string },
): Promise<ServiceProcess> {
  return await startServiceProcess({
    entry: SERVER_ENTRY,
    port: await freePort(),
    ...(options.readyPath ? { readyPath: options.readyPath } : {}),
    env: {
      DATABASE_URL: env.db.url,
      REDIS_URL: options.redisUrl ?? env.server.url,
      AUDIT_GENERATE_KEY: 'true',
      AUDIT_DIGEST_KEY_FILE: options.keyFile,
      AUDIT_BATCH_SIZE: '50',
      AUDIT_BLOCK_MS: '200',
      AUDIT_CLAIM_IDLE_MS: '400',
      AUDIT_CLAIM_INTERVAL_MS: '200',
      AUDIT_MAX_DELIVERIES: '100',
      AUDIT_DIGEST_INTERVAL_MS: '700',
      LOG_LEVEL: 'warn',
      ...options.extra,
    },
  });
}

/** Overrides for an app that runs only the maintenance jobs, digest and retention every 200 ms, on its own queues. */
export function maintenanceOverrides(): Record<string, string> {
  return {
    AUDIT_CONSUME: 'false',
    AUDIT_WORKERS: 'true',
    AUDIT_QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
    AUDIT_DIGEST_INTERVAL_MS: '200',
    AUDIT_RETENTION_INTERVAL_MS: '200',
  };
}

/** Config for an in-process app, with short timings. */
export function testConfig(env: Env, overrides: Record<string, string> = {}): Readonly<AuditConfig> {
  return loadServiceConfig({
    DATABASE_URL: env.db.url,
    REDIS_URL: env.server.url,
    AUDIT_CONSUMER_NAME: 'in-process',
    AUDIT_BLOCK_MS: '200',
    AUDIT_CLAIM_IDLE_MS: '500',
    AUDIT_CLAIM_INTERVAL_MS: '200',
    AUDIT_RETRY_MAX_MS: '300',
    AUDIT_LIVE_POLL_MS: '50',
    AUDIT_WORKERS: 'false',
    AUDIT_JOB_LOCK_MS: '2000',
    LOG_LEVEL: 'silent',
    ...overrides,
  });
}

export const testKeys = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey };
};

/** Builds the app on `env` (consuming unless `AUDIT_CONSUME=false`), with its own blocking connection. */
export async function makeApp(
  env: Env,
  options: {
    overrides?: Record<string, string>;
    pool?: Pool;
    readPool?: Pool;
    keys?: ReturnType<typeof testKeys>;
    clock?: () => Date;
  } = {},
) {
  const config = testConfig(env, options.overrides);
  const blocking = createRedis({ url: env.server.url, logger, name: 'test', role: 'blocking' });
  const workerRedis = createRedis({ url: env.server.url, logger, name: 'test', role: 'worker' });
  const app = await buildApp({
    config,
    logger,
    redis: env.redis,
    blocking,
    workerRedis,
    pool: options.pool ?? env.pool,
    ...(options.readPool ? { readPool: options.readPool } : {}),
    keys: options.keys ?? testKeys(),
    assertionKeys: GATEWAY_KEYS,
    ...(options.clock ? { clock: options.clock } : {}),
    closeClients: async () => {
      blocking.disconnect();
      workerRedis.disconnect();
    },
  });
  return app;
}

/** Empties the trail: no events, digests or retention cuts, and the chain head back at genesis. */
export async function emptyTrail(pool: Pool) {
  await pool.query('TRUNCATE audit_events, audit_digests, audit_retention_cuts');
  await pool.query("UPDATE audit_chain_head SET seq = 0, hash = decode(repeat('00', 32), 'hex')");
}

/**
 * Gives the test file an {@link Env} through `use`: created before its tests,
 * closed after them, with the trail emptied before each test.
 */
export function onEmptyTrail(use: (env: Env) => void) {
  let env: Env;
  beforeAll(async () => {
    env = await createEnv();
    use(env);
  });
  afterAll(async () => {
    await env.close();
  });
  beforeEach(async () => {
    await emptyTrail(env.pool);
  });
}

/** POSTs the export request `body` with `headers`, to `url` (a test of path spellings passes its own). */
export function postExport(
  app: AuditApp,
  headers: Record<string, string>,
  body: Record<string, unknown>,
  url = '/audit/exports',
) {
  return app.inject({ method: 'POST', url, headers, payload: body });
}

/** Stores events directly (no stream), as the consumer would. */
export async function storeDirect(pool: Pool, events: AuthEvent[]) {
  let n = 0;
  for (let i = 0; i < events.length; i += 1000) {
    const chunk = events.slice(i, i + 1000).map((event) => ({ streamId: `0-${++n}`, event }));
    await storeBatch(pool, { events: chunk, deadLetters: [], consumer: 'test', now: new Date() });
  }
}

/** The test gateway's assertion key; apps made by {@link makeApp} trust it and nothing else. */
const gatewayKey = await assertionKey(generateKeyPairSync('ed25519'));
const GATEWAY_KEYS = createLocalJWKSet({ keys: [gatewayKey.jwk] });

/** Headers of a caller the test gateway vouches for (an assertion for audit, valid a minute, and the plain headers). */
export async function asserted(who: {
  userId: string;
  username: string;
  sessionId: string;
  roles: string[];
  aud?: string;
}): Promise<Record<string, string>> {
  const assertion = await signAssertion(gatewayKey, {
    aud: who.aud ?? ASSERTION_AUDIT_AUDIENCE,
    sub: who.userId,
    username: who.username,
    sid: who.sessionId,
    roles: who.roles,
    amr: ['pwd', 'otp'],
  });
  return {
    [IDENTITY_HEADERS.assertion]: assertion,
    [IDENTITY_HEADERS.userId]: who.userId,
    [IDENTITY_HEADERS.username]: who.username,
    [IDENTITY_HEADERS.sessionId]: who.sessionId,
    [IDENTITY_HEADERS.roles]: who.roles.join(','),
  };
}

const ANN = { userId: 'auditor-1', username: 'ann', sessionId: 's-ann', roles: ['auditor'] };

/** An auditor, as the gateway forwards one; its assertion is re-signed every 20 s, as the gateway would. */
export const AUDITOR: Record<string, string> = await asserted(ANN);
setInterval(async () => Object.assign(AUDITOR, await asserted(ANN)), 20_000).unref();

/** Minutes where `audit_login_minutes` differs from a count over `audit_events`: none when the rollup is right. */
export async function rollupDrift(pool: Pool) {
  const { rows } = await pool.query(`
    WITH counted AS (
      SELECT date_bin('1 minute', occurred_at, timestamptz 'epoch') AS minute,
             count(*) FILTER (WHERE type = 'auth.login.succeeded')::int AS succeeded,
             count(*) FILTER (WHERE type = 'auth.login.failed')::int AS failed,
             count(*) FILTER (WHERE type = 'auth.login.rate_limited')::int AS rate_limited
        FROM audit_events
       WHERE type IN ('auth.login.succeeded', 'auth.login.failed', 'auth.login.rate_limited')
       GROUP BY 1)
    SELECT minute, to_json(c) AS events, to_json(r) AS rollup
      FROM counted c FULL JOIN audit_login_minutes r USING (minute)
     WHERE (c.succeeded, c.failed, c.rate_limited) IS DISTINCT FROM (r.succeeded, r.failed, r.rate_limited)`);
  return rows;
}
