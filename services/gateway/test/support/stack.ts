import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from '@gatehouse/auth';
import { startAuthProcess } from '@gatehouse/auth/testing';
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
import { type EchoUpstream, startEchoUpstream } from './upstream.js';

/** A private Redis, a fresh database, the real auth process, an echo upstream and N real gateway processes. */
export interface Stack {
  redis: TestRedis;
  db: TestDatabase;
  pool: Pool;
  /** A client for test assertions and set-up. */
  inspect: Redis;
  auth: ServiceProcess;
  upstream: EchoUpstream;
  gateways: ServiceProcess[];
  keyFile: string;
  addUser(roles?: string[]): Promise<{ id: string; username: string; password: string }>;
  /** Logs in through `gateway` (default the first) and returns the token and session id. */
  login(
    user: { username: string; password: string },
    gateway?: ServiceProcess,
  ): Promise<{ token: string; sid: string }>;
  startGateway(env?: Record<string, string>): Promise<ServiceProcess>;
  close(): Promise<void>;
}

const GATEWAY_ENTRY = 'services/gateway/src/server.ts';

/** Starts a whole stack; `gatewayEnv` and `authEnv` override the gateways' and auth's variables. */
export async function startStack(
  options: { gateways?: number; gatewayEnv?: Record<string, string>; authEnv?: Record<string, string> } = {},
) {
  const [redis, db, keyDir, upstream] = await Promise.all([
    startRedis(),
    createTestDatabase(),
    mkdtemp(join(tmpdir(), 'gatehouse-gw-keys-')),
    startEchoUpstream(),
  ]);
  const keyFile = join(keyDir, 'signing.pem');
  const auth = await startAuthProcess({
    databaseUrl: db.url,
    redisUrl: redis.url,
    keyFile,
    env: {
      LOGIN_MAX_ATTEMPTS: '100000',
      LOGIN_MAX_ATTEMPTS_PER_IP: '100000',
      LOGIN_MAX_FAILURES: '100000',
      LOG_LEVEL: 'warn',
      ...options.authEnv,
    },
  });
  const logger = createLogger({ service: 'gateway-test', level: 'silent', format: 'json' });
  const pool = createPool({ url: db.url, logger, name: 'gateway-test' });
  const inspect = createRedis({ url: redis.url, logger, name: 'gateway-test', role: 'blocking' });
  const gateways: ServiceProcess[] = [];
  const startGateway = async (env: Record<string, string> = {}) => {
    const gateway = await startServiceProcess({
      entry: GATEWAY_ENTRY,
      port: await freePort(),
      env: {
        REDIS_URL: redis.url,
        AUTH_URL: auth.url,
        UPSTREAMS: `/api/echo=${upstream.url},/api/gone=http://127.0.0.1:1`,
        UPSTREAM_TIMEOUT_MS: '1000',
        REDIS_COMMAND_TIMEOUT_MS: '500',
        RATE_LIMIT_MAX: '100000',
        LOG_LEVEL: 'warn',
        ASSERTION_GENERATE_KEY: 'true',
        ASSERTION_KEY_FILE: join(keyDir, 'assertion.pem'),
        ...Object.fromEntries(Object.entries(options.gatewayEnv ?? {}).filter(([, v]) => v !== '')),
        ...env,
      },
    });
    gateways.push(gateway);
    return gateway;
  };
  for (let i = 0; i < (options.gateways ?? 1); i++) await startGateway();
  const stack: Stack = {
    redis,
    db,
    pool,
    inspect,
    auth,
    upstream,
    gateways,
    keyFile,
    startGateway,
    addUser: async (roles = ['user']) => {
      const username = `gw_${randomBytes(5).toString('hex')}`;
      const password = `pw-${randomBytes(8).toString('hex')}`;
      const user = await createUser({ pool }, { username, password, roles });
      return { id: user.id, username, password };
    },
    login: async (user, gateway = gateways[0] as ServiceProcess) => {
      const res = await fetch(`${gateway.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: user.username, password: user.password }),
      });
      if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { accessToken: string; sessionId: string };
      return { token: body.accessToken, sid: body.sessionId };
    },
    close: async () => {
      await Promise.all([...gateways.map((g) => g.kill()), auth.kill(), upstream.close()]);
      await closeRedis(inspect);
      await pool.end();
      await Promise.all([redis.stop(), db.drop(), rm(keyDir, { recursive: true, force: true })]);
    },
  };
  return stack;
}

/** `Authorization` header for a token. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
