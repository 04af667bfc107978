import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrateAudit, writeDigest } from '@gatehouse/audit';
import {
  type AuthApp,
  buildApp,
  createSecretBox,
  createUser,
  loadKeyRing,
  loadServiceConfig,
  migrateAuth,
} from '@gatehouse/auth';
import {
  AUDIT_GROUP,
  AUTH_EVENTS_DEAD_STREAM,
  AUTH_EVENTS_STREAM,
  createAuthEvent,
  sessionKey,
} from '@gatehouse/contracts';
import {
  closeRedis,
  createLogger,
  createPool,
  createRedis,
  loadEd25519Key,
  type Pool,
  type Redis,
  waitForRedis,
} from '@gatehouse/runtime';
import { createTestDatabase, startRedis, type TestDatabase, type TestRedis, waitFor } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeDirect } from '../../../services/audit/test/helpers.js';

const BIN = fileURLToPath(new URL('../bin/gatehouse.js', import.meta.url));
const logger = createLogger({ service: 'cli-test', level: 'silent', format: 'json' });

let server: TestRedis;
let db: TestDatabase;
let pool: Pool;
let redis: Redis;
let dir: string;
let app: AuthApp;
const users: Record<string, string> = {};

beforeAll(async () => {
  [server, db, dir] = await Promise.all([startRedis(), createTestDatabase(), mkdtemp(join(tmpdir(), 'gh-ops-'))]);
  pool = createPool({ url: db.url, logger, name: 'cli-test' });
  redis = createRedis({ url: server.url, logger, name: 'cli-test' });
  await waitForRedis(redis);
  const config = loadServiceConfig({
    DATABASE_URL: db.url,
    REDIS_URL: server.url,
    JWT_PRIVATE_KEY_FILE: join(dir, 'jwt.pem'),
    LOG_LEVEL: 'silent',
  });
  const keys = await loadKeyRing({ privateKeyFile: config.JWT_PRIVATE_KEY_FILE, publicKeyFiles: [], generate: true });
  app = await buildApp({ config, logger, redis, pool, keys, secrets: createSecretBox(randomBytes(32)) });
  await app.ready();
  await migrateAuth(pool);
  for (const name of ['alice', 'bob']) {
    users[name] = (await createUser({ pool }, { username: name, password: `${name}-password-1` })).id;
  }
});
afterAll(async () => {
  await app?.close();
  await Promise.all([closeRedis(redis), pool.end()]);
  await Promise.all([server.stop(), db.drop(), rm(dir, { recursive: true, force: true })]);
});

function start(args: string[], env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, REDIS_URL: server.url, ...env },
  });
}

function finish(child: ChildProcessWithoutNullStreams) {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return {
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    done: new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
      child.on('exit', (code) => resolve({ code, stdout, stderr })),
    ),
  };
}

const gatehouse = (args: string[], env: Record<string, string> = {}) => finish(start(args, env)).done;
const json = async (args: string[]) => {
  const res = await gatehouse([...args, '--json']);
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  return JSON.parse(res.stdout);
};
const login = async (username: string) => {
  const res = await app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { username, password: `${username}-password-1` },
  });
  expect(res.statusCode).toBe(200);
  return res.json().sessionId as string;
};
const lastEvent = async () => {
  const [, fields] = (await redis.xrevrange(AUTH_EVENTS_STREAM, '+', '-', 'COUNT', 1))[0] ?? [];
  return JSON.parse(fields?.[1] ?? '{}');
};

// Each case runs the real bin in a fresh Node process; on a busy 2-core machine that takes seconds.
describe('gatehouse operations commands', { timeout: 90_000 }, () => {
  it('sessions list scans every session (pages of SCAN, progress on stderr) and lists one user by id or name', async () => {
    const [a1, a2, b1] = [await login('alice'), await login('alice'), await login('bob')];
    const bulk = redis.pipeline();
    for (let i = 0; i < 1500; i++) {
      bulk.hset(sessionKey(`bulk${i}`), {
        sub: 'u-bulk',
        name: 'bulk',
        roles: '',
        iat: '1',
        exp: '2',
        ip: '10.0.0.1',
        ua: 'x',
      });
    }
    await bulk.exec();
    const all = await gatehouse(['sessions', 'list', '--json'], { GATEHOUSE_PROGRESS_MS: '0' });
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout)).toHaveLength(1503);
    expect(all.stderr).toMatch(/scanned \d+ page\(s\)/);
    const alice = await json(['sessions', 'list', '--user', 'alice']);
    expect(alice.map((s: { sessionId: string }) => s.sessionId).sort()).toEqual([a1, a2].sort());
    expect(alice[0]).toMatchObject({ username: 'alice', userId: users.alice, ip: '127.0.0.1' });
    expect(alice[0].ttlSeconds).toBeGreaterThan(3500);
    const bob = await gatehouse(['sessions', 'list', '--user', users.bob as string]);
    expect(bob.stdout).toMatch(/^SESSION\s+USER\s+ROLES\s+IP\s+CREATED\s+EXPIRES IN/);
    expect(bob.stdout).toContain(b1);
    expect(bob.stdout).toContain('1 session(s).');
    await redis.del(...Array.from({ length: 1500 }, (_, i) => sessionKey(`bulk${i}`)));
    expect((await gatehouse(['sessions', 'list', '--user', 'nobody'])).code).toBe(3);
  });

  it('sessions show prints one session and exits 3 for an unknown one', async () => {
    const sid = await login('bob');
    const shown = await gatehouse(['sessions', 'show', sid]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`user        bob (${users.bob})`);
    expect((await json(['sessions', 'show', sid])).sessionId).toBe(sid);
    const missing = await gatehouse(['sessions', 'show', 'no-such-session']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('No live session');
  });

  it("sessions revoke ends one session or all of a user, each with the admin route's event naming the operator", async () => {
    const operator = { userId: null, username: `cli:${userInfo().username}`, sessionId: null };
    const sid = await login('bob');
    const one = await gatehouse(['sessions', 'revoke', sid]);
    expect(one.code).toBe(0);
    expect(await redis.exists(sessionKey(sid))).toBe(0);
    expect(await lastEvent()).toMatchObject({
      type: 'auth.sessions.revoked',
      source: 'cli',
      subject: users.bob,
      sessionId: sid,
      reason: 'admin_revoked',
      actor: operator,
    });
    const all = await json(['sessions', 'revoke', '--user', 'alice']);
    expect(all).toEqual({ revoked: 2, userId: users.alice });
    expect(await redis.zcard(`user_sessions:${users.alice}`)).toBe(0);
    expect(await lastEvent()).toMatchObject({
      type: 'auth.sessions.revoked',
      source: 'cli',
      username: 'alice',
      sessionId: null,
      reason: 'admin_revoked',
      actor: operator,
    });
    expect((await gatehouse(['sessions', 'revoke'])).code).toBe(64);
    expect((await gatehouse(['sessions', 'revoke', sid, '--user', 'bob'])).code).toBe(64);
    expect((await gatehouse(['sessions', 'revoke', sid])).code).toBe(3);
    // A session id is base64url: one in 64 begins with "-", one in 4,096 with "--", and is still an argument.
    const other = await login('alice');
    const dashed = [`-x${other.slice(2)}`, `--${other.slice(2)}`];
    await redis.copy(sessionKey(other), sessionKey(dashed[1] as string));
    await redis.rename(sessionKey(other), sessionKey(dashed[0] as string));
    for (const sid of dashed) {
      expect((await gatehouse(['sessions', 'revoke', sid])).code, sid).toBe(0);
      expect(await redis.exists(sessionKey(sid))).toBe(0);
    }
  });

  it('stream info reports length, group lag and pending, consumers and dead letters', async () => {
    await redis.xgroup('CREATE', AUTH_EVENTS_STREAM, AUDIT_GROUP, '0');
    await redis.xreadgroup('GROUP', AUDIT_GROUP, 'reader-1', 'COUNT', 2, 'STREAMS', AUTH_EVENTS_STREAM, '>');
    await redis.xadd(AUTH_EVENTS_DEAD_STREAM, '*', 'event', '{', 'reason', 'not JSON');
    const length = await redis.xlen(AUTH_EVENTS_STREAM);
    const info = await json(['stream', 'info']);
    expect(info).toMatchObject({ stream: AUTH_EVENTS_STREAM, length, deadLetters: 1 });
    expect(info.groups[0]).toMatchObject({
      name: AUDIT_GROUP,
      pending: 2,
      lag: length - 2,
      consumers: [{ name: 'reader-1', pending: 2 }],
    });
    const human = await gatehouse(['stream', 'info']);
    expect(human.stdout).toMatch(/GROUP\s+LAG\s+PENDING/);
    expect(human.stdout).toMatch(new RegExp(`audit\\s+${length - 2}\\s+2\\s`));
    expect(human.stdout).toContain('dead letters  1');
  });

  it('redis memory reports INFO memory, the session count and bytes per session', async () => {
    await login('bob');
    const report = await json(['redis', 'memory']);
    const [, live] = await redis.scan('0', 'MATCH', 'session:*', 'COUNT', 10_000);
    expect(report.sessions).toBe(live.length);
    expect(report.bytesPerSession).toBeGreaterThan(100);
    expect(report.bytesPerSession).toBeLessThan(2000);
    expect(Number(report.memory.used_memory)).toBeGreaterThan(0);
    const human = await gatehouse(['redis', 'memory']);
    expect(human.stdout).toMatch(/bytes per session \d+ \(MEMORY USAGE of \d+ session\(s\)\)/);
  });

  it('audit tail prints new events live and stops on --count or Ctrl-C', async () => {
    const tail = finish(start(['audit', 'tail', '--count', '2', '--json']));
    await waitFor(async () => tail.stderr.includes('Following'), 30_000, 'audit tail to start');
    const sid = await login('alice');
    await app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { username: 'alice', password: 'wrong-password' },
    });
    const done = await tail.done;
    expect(done.code).toBe(0);
    const lines = done.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.event.type)).toEqual(['auth.login.succeeded', 'auth.login.failed']);
    expect(lines[0].event.sessionId).toBe(sid);
    const child = start(['audit', 'tail']);
    const open = finish(child);
    await waitFor(async () => open.stderr.includes('Following'), 30_000, 'audit tail to start');
    await login('bob');
    await waitFor(async () => open.stdout.includes('auth.login.succeeded'), 10_000, 'the live event');
    child.kill('SIGINT');
    const stopped = await open.done;
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(/auth\.login\.succeeded\s+bob\s+session=/);
  });

  it('audit verify checks the chain and digests with the key file, and exits 4 after tampering', async () => {
    await migrateAudit(pool);
    const keyFile = join(dir, 'digest.pem');
    const keys = await loadEd25519Key(keyFile, { generate: true });
    const events = Array.from({ length: 5 }, (_, i) =>
      createAuthEvent({ type: 'auth.login.failed', source: 'auth', subject: `u${i}`, username: `user${i}` }),
    );
    await storeDirect(pool, events);
    await writeDigest(pool, keys);
    const env = { AUDIT_DIGEST_KEY_FILE: keyFile, GATEHOUSE_PROGRESS_MS: '0' };
    const ok = await gatehouse(['audit', 'verify'], env);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('Audit trail intact: 5 event(s) checked, 1 signed digest(s)');
    expect(ok.stderr).toContain('Verifying 5 event(s)');
    await pool.query(`UPDATE audit_events SET ip = '198.51.100.1' WHERE seq = 3`);
    const broken = await gatehouse(['audit', 'verify', '--json'], env);
    expect(broken.code).toBe(4);
    expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false, failure: { kind: 'event_changed', seq: 3 } });
    const noKey = await gatehouse(['audit', 'verify'], { AUDIT_DIGEST_KEY_FILE: join(dir, 'missing.pem') });
    expect(noKey.code).toBe(64);
    expect(noKey.stderr).toContain('AUDIT_DIGEST_KEY_FILE');
  });

  it('Redis-only commands need no DATABASE_URL; help lists every command', async () => {
    expect((await gatehouse(['stream', 'info'], { DATABASE_URL: '' })).code).toBe(0);
    const help = await gatehouse(['--help']);
    for (const word of [
      'sessions list',
      'sessions show',
      'sessions revoke',
      'stream info',
      'redis memory',
      'audit tail',
      'audit verify',
    ]) {
      expect(help.stdout).toContain(word);
    }
  });
});
