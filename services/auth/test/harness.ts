import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUTH_EVENTS_STREAM, type AuthEvent, parseAuthEvent } from '@gatehouse/contracts';
import {
  closeRedis,
  createLogger,
  createPool,
  createRedis,
  type Pool,
  type Redis,
  waitForRedis,
} from '@gatehouse/runtime';
import { createTestDatabase, startRedis, type TestDatabase, type TestRedis } from '@gatehouse/runtime/testing';
import type { LightMyRequestResponse } from 'fastify';
import { type AuthApp, buildApp } from '../src/app.js';
import { type AuthConfig, loadServiceConfig } from '../src/config.js';
import { type KeyRing, loadKeyRing } from '../src/domain/keys.js';
import { loadSecretBox } from '../src/domain/mfa/secret-box.js';
import { createUser } from '../src/domain/users.js';
import { migrateAuth } from '../src/migrate.js';

/** An auth app on a private redis-server and a fresh database, driven with inject(). */
export interface AuthHarness {
  app: AuthApp;
  config: AuthConfig;
  keys: KeyRing;
  pool: Pool;
  /** The app's own command client. */
  redis: Redis;
  /** A separate client for assertions. */
  inspect: Redis;
  server: TestRedis;
  db: TestDatabase;
  keyDir: string;
  addUser(options?: {
    roles?: string[];
    password?: string;
  }): Promise<{ id: string; username: string; password: string }>;
  login(
    username: string,
    password: string,
    options?: { ip?: string; userAgent?: string },
  ): Promise<LightMyRequestResponse>;
  events(): Promise<AuthEvent[]>;
  close(): Promise<void>;
}

/** A unique name for a test user. */
function uniqueName(prefix = 'user'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/**
 * Starts everything a route test needs; `env` overrides the service's
 * variables, `now` replaces the app's clock (milliseconds since the epoch).
 */
export async function startAuth(
  env: Record<string, string> = {},
  options: { now?: () => number } = {},
): Promise<AuthHarness> {
  const [server, db, keyDir] = await Promise.all([
    startRedis(),
    createTestDatabase(),
    mkdtemp(join(tmpdir(), 'gatehouse-auth-keys-')),
  ]);
  const config = loadServiceConfig({
    DATABASE_URL: db.url,
    REDIS_URL: server.url,
    JWT_PRIVATE_KEY_FILE: join(keyDir, 'signing.pem'),
    JWT_GENERATE_KEY: 'true',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const logger = createLogger({ service: 'auth-test', level: config.LOG_LEVEL, format: 'json' });
  const pool = createPool({ url: db.url, logger, name: 'auth-test' });
  const redis = createRedis({
    url: server.url,
    logger,
    name: 'auth-test',
    commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
  });
  const inspect = createRedis({ url: server.url, logger, name: 'auth-inspect', role: 'blocking' });
  await Promise.all([migrateAuth(pool), waitForRedis(redis), waitForRedis(inspect)]);
  const keys = await loadKeyRing({ privateKeyFile: config.JWT_PRIVATE_KEY_FILE, publicKeyFiles: [], generate: true });
  const secrets = await loadSecretBox(join(keyDir, 'mfa.key'), { generate: true });
  const app = await buildApp({ config, logger, redis, pool, keys, secrets, ...options });
  await app.ready();
  const harness: AuthHarness = {
    app,
    config,
    keys,
    pool,
    redis,
    inspect,
    server,
    db,
    keyDir,
    addUser: async (options = {}) => {
      const username = uniqueName();
      const password = options.password ?? `pw-${randomBytes(8).toString('hex')}`;
      const user = await createUser({ pool }, { username, password, roles: options.roles ?? ['user'] });
      return { id: user.id, username, password };
    },
    login: (username, password, options = {}) =>
      app.inject({
        method: 'POST',
        url: '/auth/login',
        remoteAddress: options.ip ?? '127.0.0.1',
        headers: { 'user-agent': options.userAgent ?? 'vitest' },
        payload: { username, password },
      }),
    events: async () => {
      const entries = await inspect.xrange(AUTH_EVENTS_STREAM, '-', '+');
      return entries.map(([, fields]) => {
        const parsed = parseAuthEvent(fields[1] ?? '');
        if (!parsed.ok) throw new Error(`bad event in stream: ${parsed.reason}`);
        return parsed.event;
      });
    },
    close: async () => {
      await app.close();
      await Promise.all([closeRedis(redis), closeRedis(inspect), pool.end()]);
      await Promise.all([server.stop(), db.drop(), rm(keyDir, { recursive: true, force: true })]);
    },
  };
  return harness;
}

/** The `Authorization` header for a token. */
export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}
