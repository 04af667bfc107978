import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AuthApp,
  buildApp,
  createSecretBox,
  findUserByUsername,
  loadKeyRing,
  loadServiceConfig,
  verifyPassword,
} from '@gatehouse/auth';
import { AUTH_EVENTS_STREAM, sessionKey } from '@gatehouse/contracts';
import {
  closeRedis,
  createLogger,
  createPool,
  createRedis,
  type Pool,
  type Redis,
  waitForRedis,
} from '@gatehouse/runtime';
import {
  createTestDatabase,
  freePort,
  startRedis,
  type TestDatabase,
  type TestRedis,
} from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/gatehouse.js', import.meta.url));

let server: TestRedis;
let db: TestDatabase;
let pool: Pool;
let redis: Redis;
let keyDir: string;
let app: AuthApp;
const logger = createLogger({ service: 'cli-test', level: 'silent', format: 'json' });

beforeAll(async () => {
  [server, db, keyDir] = await Promise.all([
    startRedis(),
    createTestDatabase(),
    mkdtemp(join(tmpdir(), 'gatehouse-cli-')),
  ]);
  pool = createPool({ url: db.url, logger, name: 'cli-test' });
  redis = createRedis({ url: server.url, logger, name: 'cli-test' });
  await waitForRedis(redis);
});
afterAll(async () => {
  await app?.close();
  await Promise.all([closeRedis(redis), pool.end()]);
  await Promise.all([server.stop(), db.drop(), rm(keyDir, { recursive: true, force: true })]);
});

function gatehouse(args: string[], options: { input?: string; env?: Record<string, string> } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, REDIS_URL: server.url, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end(options.input ?? '');
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function loginApp() {
  if (app) return app;
  const config = loadServiceConfig({
    DATABASE_URL: db.url,
    REDIS_URL: server.url,
    JWT_PRIVATE_KEY_FILE: join(keyDir, 'k.pem'),
    LOG_LEVEL: 'silent',
  });
  const keys = await loadKeyRing({ privateKeyFile: config.JWT_PRIVATE_KEY_FILE, publicKeyFiles: [], generate: true });
  app = await buildApp({ config, logger, redis, pool, keys, secrets: createSecretBox(randomBytes(32)) });
  await app.ready();
  return app;
}

const login = async (username: string, password: string) =>
  (await loginApp()).inject({ method: 'POST', url: '/auth/login', payload: { username, password } });

// Each case runs the real bin in a fresh Node process; on a busy 2-core machine that takes seconds.
describe('gatehouse users', { timeout: 90_000 }, () => {
  it('adds a user with roles and an argon2id hash, the password read from stdin', async () => {
    const res = await gatehouse(['users', 'add', 'Carol', '--role', 'auditor', '--role', 'user'], {
      input: 'carol-password-1\n',
    });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Created user carol');
    const user = await findUserByUsername(pool, 'carol');
    expect(user).toMatchObject({ username: 'carol', roles: ['auditor', 'user'], disabled: false });
    expect(user?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(user?.passwordHash ?? null, 'carol-password-1')).toBe(true);
  });

  it('exits 2 with a clear message when the user already exists, in any letter case', async () => {
    const res = await gatehouse(['users', 'add', 'CAROL'], { input: 'another-password\n' });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('already exists');
  });

  it('set-password replaces the password and ends the sessions', async () => {
    expect((await login('carol', 'carol-password-1')).statusCode).toBe(200);
    const res = await gatehouse(['users', 'set-password', 'carol'], { input: 'carol-password-2\n' });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('ended 1 session(s)');
    expect((await login('carol', 'carol-password-1')).statusCode).toBe(401);
    expect((await login('carol', 'carol-password-2')).statusCode).toBe(200);
  });

  it('disable ends every session with an event and refuses later logins', async () => {
    const { sessionId } = (await login('carol', 'carol-password-2')).json();
    const res = await gatehouse(['users', 'disable', 'carol']);
    expect(res.code).toBe(0);
    expect(await redis.exists(sessionKey(sessionId))).toBe(0);
    const [, fields] = (await redis.xrevrange(AUTH_EVENTS_STREAM, '+', '-', 'COUNT', 1))[0] ?? [];
    expect(JSON.parse(fields?.[1] ?? '{}')).toMatchObject({
      type: 'auth.sessions.revoked',
      reason: 'user_disabled',
      source: 'cli',
      username: 'carol',
    });
    expect((await login('carol', 'carol-password-2')).statusCode).toBe(401);
  });

  it('users mfa show lists the factors; reset deletes them with an event naming the operator', async () => {
    const user = await findUserByUsername(pool, 'carol');
    await pool.query(`INSERT INTO mfa_totp (user_id, secret_sealed, confirmed_at) VALUES ($1, 'v1.a.b.c', now())`, [
      user?.id,
    ]);
    await pool.query(`INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES ($1, 'h1'), ($1, 'h2')`, [user?.id]);
    const show = await gatehouse(['users', 'mfa', 'show', 'carol', '--json']);
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout)).toEqual({
      userId: user?.id,
      username: 'carol',
      totp: true,
      passkeys: [],
      recoveryCodesRemaining: 2,
    });
    const reset = await gatehouse(['users', 'mfa', 'reset', 'carol']);
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain('removed TOTP, 0 passkey(s), 2 recovery code(s)');
    const [, fields] = (await redis.xrevrange(AUTH_EVENTS_STREAM, '+', '-', 'COUNT', 1))[0] ?? [];
    expect(JSON.parse(fields?.[1] ?? '{}')).toMatchObject({
      type: 'auth.mfa.removed',
      reason: 'admin_reset',
      source: 'cli',
      subject: user?.id,
      factor: null,
      actor: { userId: null, username: expect.stringMatching(/^cli:/) },
    });
    expect((await gatehouse(['users', 'mfa', 'show', 'carol'])).stdout).toContain('totp            no');
    expect((await gatehouse(['users', 'mfa', 'reset', 'nobody'])).code).toBe(3);
  });

  it('exits 3 for an unknown user and 64 for bad usage, a bad role or a short password', async () => {
    expect((await gatehouse(['users', 'disable', 'nobody'])).code).toBe(3);
    const cases: [string[], string][] = [
      [['users', 'frobnicate'], ''],
      [['users', 'add'], ''],
      [['users', 'add', 'dave', '--colour', 'red'], 'dave-password\n'],
      [['users', 'add', 'dave', '--role', 'Has,Comma'], 'dave-password\n'],
      [['users', 'add', 'dave'], 'short\n'],
      [['users', 'add', 'dave'], ''],
    ];
    for (const [args, input] of cases) {
      const r = await gatehouse(args, { input });
      expect(r.code, args.join(' ')).toBe(64);
      expect(r.stderr).toMatch(/^gatehouse: /);
    }
    expect(await findUserByUsername(pool, 'dave')).toBeNull();
  });

  it('names the missing variable and an unreachable Redis', async () => {
    const noDb = await gatehouse(['users', 'disable', 'carol'], { env: { DATABASE_URL: '' } });
    expect(noDb.code).toBe(64);
    expect(noDb.stderr).toContain('DATABASE_URL');
    const noRedis = await gatehouse(['users', 'disable', 'carol'], {
      env: { REDIS_URL: `redis://127.0.0.1:${await freePort()}` },
    });
    expect(noRedis.code).toBe(1);
    expect(noRedis.stderr).toContain('Cannot reach Redis');
  });

  it('prints help', async () => {
    const res = await gatehouse(['--help']);
    expect(res.code).toBe(0);
    for (const word of ['users add', 'users disable', 'users set-password']) expect(res.stdout).toContain(word);
  });
});
