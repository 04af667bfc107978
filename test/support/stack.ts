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
import { type DemoUpstream, startDemoUpstream } from '../../scripts/stack/demo-upstream.js';
import { type EchoUpstream, startEchoUpstream } from './echo-upstream.js';

/** A user created in the auth database, with its clear password. */
export interface TestUser {
  id: string;
  username: string;
  password: string;
}

/** Variables for the stack's processes. */
type Env = Record<string, string>;

/** What {@link startStack} starts, beyond Redis, the database and auth. */
export interface StackOptions {
  /** Added to every service's environment. */
  env?: Env;
  /** Added to auth's / each gateway's / audit's environment, after `env`. */
  authEnv?: Env;
  gatewayEnv?: Env;
  auditEnv?: Env;
  /** Gateways started at once (default 1; 0 when the test starts its own with `startGateway`). */
  gateways?: number;
  /** Start the audit service (default true); without it the gateways keep the default `AUDIT_URL`. */
  audit?: boolean;
  /** Maps the database URL the services get (a pooler in front, say); the stack's own `pool` stays direct. */
  serviceDatabaseUrl?: (url: string) => string;
}

/** The whole system as child processes (as `npm start` runs them) on a private Redis and a fresh database. */
export interface Stack {
  redis: TestRedis;
  db: TestDatabase;
  /** A direct pool on the database, for set-up and assertions. */
  pool: Pool;
  /** A Redis client for set-up and assertions. */
  inspect: Redis;
  auth: ServiceProcess;
  /** The audit service (a getter that throws when started with `audit: false`). */
  readonly audit: ServiceProcess;
  gateways: ServiceProcess[];
  /** The first gateway. */
  readonly gateway: ServiceProcess;
  /** Behind `/api/echo`: answers every request with what it received (`/slow` after 2 s). `/api/gone` has no server. */
  upstream: EchoUpstream;
  /** The demo upstream of `npm start`, behind `/api/demo`: it checks the gateway's assertion. */
  demo: DemoUpstream;
  /** Auth's signing key (PKCS#8 PEM). */
  keyFile: string;
  addUser(roles?: string[]): Promise<TestUser>;
  /** `POST /auth/login` through `gateway` (default the first), as curl would. */
  login(username: string, password: string, gateway?: ServiceProcess): Promise<Response>;
  /** A bearer token and session id for `user`, from a login through `gateway` (default the first). */
  token(user: TestUser, gateway?: ServiceProcess): Promise<{ token: string; sessionId: string }>;
  /** Starts one more gateway; `env` is added to its environment. */
  startGateway(env?: Env): Promise<ServiceProcess>;
  /** Appends envelopes to `auth-events` as a producer would. */
  publish(events: AuthEvent[]): Promise<void>;
  close(): Promise<void>;
}

/** Limits high enough that no test trips them by accident. */
const UNLIMITED_LOGINS = {
  LOGIN_MAX_ATTEMPTS: '100000',
  LOGIN_MAX_ATTEMPTS_PER_IP: '100000',
  LOGIN_MAX_FAILURES: '100000',
};

/**
 * Starts Redis, PostgreSQL, auth, audit and the gateways as real processes,
 * one at a time: on a 2-core machine three cold tsx starts at once can
 * exceed Fastify's plugin timeout. Used by the gateway's tests and test/e2e.
 *
 * @example
 * ```ts
 * const stack = await startStack({ audit: false, gatewayEnv: { RATE_LIMIT_MODE: 'strict' } });
 * const { token } = await stack.token(await stack.addUser());
 * ```
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const [redis, db, dir, upstream] = await Promise.all([
    startRedis(),
    createTestDatabase(),
    mkdtemp(join(tmpdir(), 'gatehouse-stack-')),
    startEchoUpstream(),
  ]);
  const env = { LOG_LEVEL: 'warn', ...options.env };
  const databaseUrl = options.serviceDatabaseUrl?.(db.url) ?? db.url;
  const keyFile = join(dir, 'jwt.pem');
  // The first gateway's port is known before anything starts: audit and the demo upstream fetch its JWKS.
  const firstGatewayPort = await freePort();
  const gatewayJwks = `http://127.0.0.1:${firstGatewayPort}${ASSERTION_JWKS_PATH}`;
  const demo = await startDemoUpstream({ port: 0, jwksUrl: gatewayJwks });
  const auth = await startAuthProcess({
    databaseUrl,
    redisUrl: redis.url,
    keyFile,
    env: {
      ...env,
      ...UNLIMITED_LOGINS,
      // Passkeys are bound to the gateway's origin as a browser names it (a host name, not an address).
      WEBAUTHN_RP_ID: 'localhost',
      WEBAUTHN_ORIGINS: `http://localhost:${firstGatewayPort}`,
      ...options.authEnv,
    },
  });
  const auditProcess =
    options.audit === false
      ? undefined
      : await startServiceProcess({
          entry: 'services/audit/src/server.ts',
          port: await freePort(),
          env: {
            DATABASE_URL: databaseUrl,
            REDIS_URL: redis.url,
            ...env,
            AUDIT_GENERATE_KEY: 'true',
            AUDIT_DIGEST_KEY_FILE: join(dir, 'digest.pem'),
            AUDIT_EXPORT_DIR: join(dir, 'exports'),
            AUDIT_BLOCK_MS: '200',
            AUDIT_LIVE_POLL_MS: '100',
            AUDIT_QUEUE_PREFIX: `t${randomBytes(3).toString('hex')}`,
            AUDIT_GATEWAY_JWKS_URL: gatewayJwks,
            ...options.auditEnv,
          },
        });
  const gateways: ServiceProcess[] = [];
  const startGateway = async (extra: Env = {}) => {
    const gateway = await startServiceProcess({
      entry: 'services/gateway/src/server.ts',
      port: gateways.length === 0 ? firstGatewayPort : await freePort(),
      env: {
        REDIS_URL: redis.url,
        AUTH_URL: auth.url,
        ...(auditProcess ? { AUDIT_URL: auditProcess.url } : {}),
        UPSTREAMS: `/api/echo=${upstream.url},/api/gone=http://127.0.0.1:1,/api/demo=${demo.url}`,
        RATE_LIMIT_MAX: '100000',
        ASSERTION_GENERATE_KEY: 'true',
        ASSERTION_KEY_FILE: join(dir, 'assertion.pem'),
        ...env,
        ...options.gatewayEnv,
        ...extra,
      },
    });
    gateways.push(gateway);
    return gateway;
  };
  for (let i = 0; i < (options.gateways ?? 1); i++) await startGateway();
  const logger = createLogger({ service: 'test-stack', level: 'silent', format: 'json' });
  const pool = createPool({ url: db.url, logger, name: 'test-stack' });
  const inspect = createRedis({ url: redis.url, logger, name: 'test-stack', role: 'blocking' });
  const first = () => {
    const gateway = gateways[0];
    if (gateway === undefined) throw new Error('no gateway has been started');
    return gateway;
  };
  const login = (username: string, password: string, gateway = first()) =>
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
    get audit() {
      if (auditProcess === undefined) throw new Error('the stack was started without audit');
      return auditProcess;
    },
    gateways,
    get gateway() {
      return first();
    },
    upstream,
    demo,
    keyFile,
    startGateway,
    login,
    addUser: async (roles = ['user']) => {
      const username = `t_${randomBytes(5).toString('hex')}`;
      const password = `pw-${randomBytes(8).toString('hex')}`;
      const user = await createUser({ pool }, { username, password, roles });
      return { id: user.id, username, password };
    },
    token: async (user, gateway) => {
      const res = await login(user.username, user.password, gateway);
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
      await Promise.all([
        ...gateways.map((g) => g.kill()),
        auditProcess?.kill(),
        auth.kill(),
        upstream.close(),
        demo.close(),
      ]);
      await closeRedis(inspect);
      await pool.end();
      await Promise.all([redis.stop(), db.drop(), rm(dir, { recursive: true, force: true })]);
    },
  };
}

/** `Authorization` header for a token. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
