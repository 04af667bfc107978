import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from '@gatehouse/auth';
import { startAuthProcess } from '@gatehouse/auth/testing';
import { ASSERTION_JWKS_PATH, AUTH_EVENTS_STREAM, type AuthEvent, EVENT_FIELD } from '@gatehouse/contracts';
import { closeRedis, createLogger, createPool, createRedis, type Pool, type Redis } from '@gatehouse/runtime';
import {
  createTestDatabase,
  freePort,
  type ServiceProcess,
  startRedis,
  startServiceProcess,
  type TestDatabase,
  type TestRedis,
} from '@gatehouse/runtime/testing';
import { type DemoUpstream, startDemoUpstream } from '../../../scripts/stack/demo-upstream.js';

/** A user created in the auth database, with its clear password. */
export interface TestUser {
  id: string;
  username: string;
  password: string;
}

/** The whole system as child processes on a private Redis and a fresh database. */
export interface E2eStack {
  redis: TestRedis;
  db: TestDatabase;
  pool: Pool;
  /** A client for set-up and assertions. */
  inspect: Redis;
  auth: ServiceProcess;
  audit: ServiceProcess;
  gateway: ServiceProcess;
  /** The demo upstream of `npm start`, behind `/api/demo`. */
  demo: DemoUpstream;
  addUser(roles?: string[]): Promise<TestUser>;
  /** `POST /auth/login` through the gateway, as curl would. */
  login(username: string, password: string): Promise<Response>;
  /** A bearer token for `user`, from a login through the gateway. */
  token(user: TestUser): Promise<{ token: string; sessionId: string }>;
  /** Appends envelopes to `auth-events` as a producer would. */
  publish(events: AuthEvent[]): Promise<void>;
  close(): Promise<void>;
}

const QUIET = { LOG_LEVEL: 'warn' };

/**
 * Starts Redis, PostgreSQL, auth, audit and the gateway (real processes, as
 * `npm start` runs them); `env` is added to every service's environment, and
 * `serviceDatabaseUrl` maps the database URL the services get (a pooler in
 * front, say; the stack's own `pool` stays direct).
 */
export async function startE2eStack(
  options: { env?: Record<string, string>; serviceDatabaseUrl?: (url: string) => string } = {},
): Promise<E2eStack> {
  const [redis, db, dir] = await Promise.all([
    startRedis(),
    createTestDatabase(),
    mkdtemp(join(tmpdir(), 'gatehouse-e2e-')),
  ]);
  const extra = { ...QUIET, ...options.env };
  const databaseUrl = options.serviceDatabaseUrl?.(db.url) ?? db.url;
  const common = { DATABASE_URL: databaseUrl, REDIS_URL: redis.url, ...extra };
  const [authPort, auditPort, gatewayPort] = [await freePort(), await freePort(), await freePort()];
  const gatewayJwks = `http://127.0.0.1:${gatewayPort}${ASSERTION_JWKS_PATH}`;
  const demo = await startDemoUpstream({ port: 0, jwksUrl: gatewayJwks });
  // One at a time: on a 2-core machine, three cold tsx starts at once can exceed Fastify's plugin timeout.
  const auth = await startAuthProcess({
    databaseUrl,
    redisUrl: redis.url,
    keyFile: join(dir, 'jwt.pem'),
    port: authPort,
    env: {
      ...extra,
      LOGIN_MAX_ATTEMPTS: '100000',
      LOGIN_MAX_ATTEMPTS_PER_IP: '100000',
      LOGIN_MAX_FAILURES: '100000',
      // Passkeys are bound to the gateway's origin as a browser names it (a host name, not an address).
      WEBAUTHN_RP_ID: 'localhost',
      WEBAUTHN_ORIGINS: `http://localhost:${gatewayPort}`,
    },
  });
  const audit = await startServiceProcess({
    entry: 'services/audit/src/server.ts',
    port: auditPort,
    env: {
      ...common,
      AUDIT_GENERATE_KEY: 'true',
      AUDIT_DIGEST_KEY_FILE: join(dir, 'digest.pem'),
      AUDIT_EXPORT_DIR: join(dir, 'exports'),
      AUDIT_BLOCK_MS: '200',
      AUDIT_LIVE_POLL_MS: '100',
      AUDIT_QUEUE_PREFIX: `e2e${randomBytes(3).toString('hex')}`,
      AUDIT_GATEWAY_JWKS_URL: gatewayJwks,
    },
  });
  const gateway = await startServiceProcess({
    entry: 'services/gateway/src/server.ts',
    port: gatewayPort,
    env: {
      REDIS_URL: redis.url,
      AUTH_URL: auth.url,
      AUDIT_URL: audit.url,
      UPSTREAMS: `/api/demo=${demo.url}`,
      RATE_LIMIT_MAX: '100000',
      ASSERTION_GENERATE_KEY: 'true',
      ASSERTION_KEY_FILE: join(dir, 'assertion.pem'),
      ...extra,
    },
  });
  const logger = createLogger({ service: 'e2e', level: 'silent', format: 'json' });
  const pool = createPool({ url: db.url, logger, name: 'e2e' });
  const inspect = createRedis({ url: redis.url, logger, name: 'e2e', role: 'blocking' });
  const login = (username: string, password: string) =>
    fetch(`${gateway.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'curl/8.5.0' },
      body: JSON.stringify({ username, password }),
    });
  return {
    redis,
    db,
    pool,
    inspect,
    auth,
    audit,
    gateway,
    demo,
    login,
    addUser: async (roles = ['user']) => {
      const username = `e2e_${randomBytes(5).toString('hex')}`;
      const password = `pw-${randomBytes(8).toString('hex')}`;
      const user = await createUser({ pool }, { username, password, roles });
      return { id: user.id, username, password };
    },
    token: async (user) => {
      const res = await login(user.username, user.password);
      if (res.status !== 200) throw new Error(`login of ${user.username} failed: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { accessToken: string; sessionId: string };
      return { token: body.accessToken, sessionId: body.sessionId };
    },
    publish: async (events) => {
      const pipeline = inspect.pipeline();
      for (const event of events) pipeline.xadd(AUTH_EVENTS_STREAM, '*', EVENT_FIELD, JSON.stringify(event));
      await pipeline.exec();
    },
    close: async () => {
      await Promise.all([gateway.kill(), audit.kill(), auth.kill(), demo.close()]);
      await closeRedis(inspect);
      await pool.end();
      await Promise.all([redis.stop(), db.drop(), rm(dir, { recursive: true, force: true })]);
    },
  };
}
