import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAuthProcess } from '@gatehouse/auth/testing';
import { createLogger, createPool } from '@gatehouse/runtime';
import {
  createTestDatabase,
  proxyFor,
  type ServiceProcess,
  startRedis,
  type TestDatabase,
  type TestRedis,
  waitFor,
} from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServiceConfig } from '../src/config.js';
import { migrateAuth } from '../src/migrate.js';

let redis: TestRedis;
let db: TestDatabase;
let dir: string;
let auth: ServiceProcess;
const oldKey = generateKeyPairSync('ed25519').publicKey;

beforeAll(async () => {
  [redis, db, dir] = await Promise.all([
    startRedis(),
    createTestDatabase(),
    mkdtemp(join(tmpdir(), 'gatehouse-auth-')),
  ]);
  await writeFile(join(dir, 'old.pub.pem'), oldKey.export({ format: 'pem', type: 'spki' }));
  auth = await startAuthProcess({
    databaseUrl: db.url,
    redisUrl: redis.url,
    keyFile: join(dir, 'keys', 'signing.pem'),
    env: { JWT_PUBLIC_KEY_FILES: join(dir, 'old.pub.pem') },
  });
});
afterAll(async () => {
  await auth.kill('SIGKILL');
  await Promise.all([redis.stop(), db.drop(), rm(dir, { recursive: true, force: true })]);
});

describe('auth as a process', () => {
  it('waits for PostgreSQL at start-up: live, not ready naming the migrations, ready once it answers', async () => {
    const other = await createTestDatabase();
    const proxy = await proxyFor(other.url);
    await proxy.cut();
    const waiting = await startAuthProcess({
      databaseUrl: proxy.url,
      redisUrl: redis.url,
      keyFile: join(dir, 'keys', 'waiting.pem'),
      readyPath: '/healthz',
    });
    try {
      const ready = await fetch(`${waiting.url}/readyz`);
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as { checks: { startup: { detail: string } } };
      expect(body.checks.startup.detail).toMatch(/^waiting for postgres migrations/);
      await proxy.restore();
      await waitFor(async () => (await fetch(`${waiting.url}/readyz`)).ok, 20_000, 'ready once PostgreSQL answers');
    } finally {
      await waiting.kill('SIGKILL');
      await proxy.close();
      await other.drop();
    }
  }, 60_000);

  it('generates its signing key on first start (mode 0600) and serves it beside older keys', async () => {
    expect((await stat(join(dir, 'keys', 'signing.pem'))).mode & 0o777).toBe(0o600);
    const jwks = (await (await fetch(`${auth.url}/.well-known/jwks.json`)).json()) as {
      keys: Record<string, string>[];
    };
    expect(jwks.keys).toHaveLength(2);
    expect(jwks.keys[1].x).toBe(oldKey.export({ format: 'jwk' }).x);
    for (const key of jwks.keys) expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(jwks.keys.every((k: { d?: string }) => k.d === undefined)).toBe(true);
  });

  it('applied its migrations at start-up, and running them again changes nothing', async () => {
    const pool = createPool({
      url: db.url,
      logger: createLogger({ service: 't', level: 'silent', format: 'json' }),
      name: 't',
    });
    try {
      expect(await migrateAuth(pool)).toEqual([]);
      const { rows } = await pool.query("SELECT indexdef FROM pg_indexes WHERE tablename = 'users'");
      const indexes = rows.map((r) => r.indexdef).join();
      expect(indexes).toContain('users_username_key ON public.users USING btree (username)');
      expect(indexes).not.toContain('lower(username)');
    } finally {
      await pool.end();
    }
  });

  it('names the bad variable when the configuration is invalid', () => {
    expect(() => loadServiceConfig({ DATABASE_URL: 'postgres://x', LOGIN_MAX_ATTEMPTS: 'many' })).toThrow(
      /LOGIN_MAX_ATTEMPTS/,
    );
    expect(() => loadServiceConfig({})).toThrow(/DATABASE_URL/);
  });

  it('finishes an in-flight login on SIGTERM, then exits 0', async () => {
    expect((await fetch(`${auth.url}/healthz`)).status).toBe(200);
    const inFlight = fetch(`${auth.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'nobody', password: 'not-a-password' }),
    });
    await waitFor(
      async () => auth.output.some((l) => l.includes('"url":"/auth/login"')),
      10_000,
      'the login to arrive',
    );
    const exited = auth.kill('SIGTERM');
    expect((await inFlight).status).toBe(401);
    expect(await exited).toBe(0);
    expect(auth.output.join('\n')).toContain('shutting down');
  });
});
