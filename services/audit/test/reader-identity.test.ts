import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertionKey, signAssertion } from '@gatehouse/upstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditApp } from '../src/app.js';
import { updateExport } from '../src/repositories/exports.repository.js';
import { AUDITOR, asserted, createEnv, type Env, makeApp, postExport } from './helpers.js';

let env: Env;
let app: AuditApp;
let dir: string;
const PUBLIC = /^\/(healthz|readyz|metrics|docs)(\/|$)/;
const SAMPLE_ID = '0190c0d2-8a5e-7000-8000-000000000001';

beforeAll(async () => {
  env = await createEnv();
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-reader-'));
  app = await makeApp(env, { overrides: { AUDIT_CONSUME: 'false', AUDIT_EXPORT_DIR: dir } });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await env?.close();
  await rm(dir, { recursive: true, force: true });
});

interface RouteHooks {
  path: string;
  methods: string[];
  hooks: Record<string, string[]>;
}

/** Every route of the app with the names of its route-level hooks, from Fastify's own route table. */
function registeredRoutes(): RouteHooks[] {
  const routes: RouteHooks[] = [];
  const stack: Array<{ column: number; path: string }> = [];
  for (const line of app.printRoutes({ commonPrefix: false, includeHooks: true }).split('\n')) {
    const route = /^([│├└─\s]*)(\S.*?) \(([A-Z, ]+)\)$/.exec(line);
    if (route) {
      const column = route[1]?.length ?? 0;
      while ((stack.at(-1)?.column ?? -1) >= column) stack.pop();
      const path = `${stack.at(-1)?.path ?? ''}${route[2]}`;
      stack.push({ column, path });
      routes.push({ path, methods: (route[3] ?? '').split(', '), hooks: {} });
      continue;
    }
    const hook = /• \((\w+)\) (\[.*\])$/.exec(line);
    const current = routes.at(-1);
    if (hook && current) current.hooks[hook[1] ?? ''] = JSON.parse(hook[2] ?? '[]');
  }
  return routes;
}

const concrete = (path: string) => path.replace(/:[A-Za-z]+/g, (p) => (p === ':id' ? SAMPLE_ID : 'x'));

async function readsOf(userId: string) {
  const { rows } = await env.pool.query(
    'SELECT method, route, session_id, params FROM audit_reads WHERE user_id = $1 ORDER BY id',
    [userId],
  );
  return rows;
}

describe('the reader guard hangs on every route, not on a URL prefix', () => {
  it('gives every non-public route both the assertion guard and read recording, and refuses each without an assertion', async () => {
    const routes = registeredRoutes();
    const guarded = routes.filter((r) => !PUBLIC.test(r.path));
    expect(guarded.length).toBeGreaterThan(15);
    expect(guarded.map((r) => r.path)).toEqual(
      expect.arrayContaining(['/audit/events', '/audit/stream', '/audit/reads', '/audit/exports/:id/download']),
    );
    for (const route of guarded) {
      expect(route.hooks.onRequest, `${route.methods} ${route.path}`).toContain('requireAuditor()');
      expect(route.hooks.preHandler, `${route.methods} ${route.path}`).toContain('recordAuditRead()');
      for (const method of route.methods) {
        const reply = await app.inject({
          method: method as 'GET',
          url: concrete(route.path),
          headers: { 'x-user-roles': 'auditor', 'x-user-id': 'forger', 'x-username': 'forger' },
        });
        expect(reply.statusCode, `${method} ${route.path}`).toBe(401);
      }
    }
    expect(routes.filter((r) => PUBLIC.test(r.path)).map((r) => r.path)).toEqual(
      expect.arrayContaining(['/healthz', '/readyz', '/metrics']),
    );
    expect(await readsOf('forger')).toEqual([]);
  });

  it('refuses an assertion for another audience, from another key, expired, or without the auditor role', async () => {
    const who = { userId: 'u-bad', username: 'bad', sessionId: 's-bad', roles: ['auditor'] };
    const other = await assertionKey(generateKeyPairSync('ed25519'));
    const foreignKey = await signAssertion(other, {
      aud: 'audit',
      sub: 'u-bad',
      username: 'bad',
      sid: 's',
      roles: ['auditor'],
      amr: ['pwd'],
    });
    const cases: Array<[Record<string, string>, number]> = [
      [await asserted({ ...who, aud: '/api/demo' }), 401],
      [{ 'x-gatehouse-assertion': foreignKey }, 401],
      [{ 'x-gatehouse-assertion': 'not-a-jwt' }, 401],
      [await asserted({ ...who, roles: ['user'] }), 403],
    ];
    for (const [headers, status] of cases) {
      const reply = await app.inject({ url: '/audit/events', headers });
      expect(reply.statusCode).toBe(status);
      expect(reply.json().error).toBe(status === 401 ? 'invalid_token' : 'insufficient_role');
    }
    expect(await readsOf('u-bad')).toEqual([]);
  });

  it('guards and records a percent-encoded path (/%61udit/...) like the plain one', async () => {
    expect((await app.inject({ url: '/%61udit/events' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/%61udit/reads', headers: { 'x-user-roles': 'auditor' } })).statusCode).toBe(401);
    const enc = await asserted({ userId: 'u-enc', username: 'enc', sessionId: 's-enc', roles: ['auditor'] });
    expect((await app.inject({ url: '/%61udit/events?limit=2', headers: enc })).statusCode).toBe(200);
    expect((await app.inject({ url: '/%61udit/reads', headers: enc })).statusCode).toBe(200);
    const created = await postExport(app, enc, { format: 'ndjson' }, '/%61udit/exports');
    expect(created.statusCode).toBe(202);
    const id = created.json().id as string;
    const { rows } = await env.pool.query('SELECT requested_by FROM audit_exports WHERE id = $1', [id]);
    expect(rows[0]?.requested_by).toBe('u-enc');
    expect((await readsOf('u-enc')).map((r) => `${r.method} ${r.route} ${r.session_id}`)).toEqual([
      'GET /audit/events s-enc',
      'GET /audit/reads s-enc',
      'POST /audit/exports s-enc',
    ]);
  });

  it("records every download of an export with its requester, and lets any auditor download another's export", async () => {
    const created = await postExport(app, AUDITOR, { format: 'ndjson' });
    const id = created.json().id as string;
    const file = join(dir, `${id}.ndjson`);
    await writeFile(file, '{}\n');
    await updateExport(env.pool, id, { state: 'completed', rowCount: 1, bytes: 3, file });
    const bob = await asserted({ userId: 'u-bob', username: 'bob', sessionId: 's-bob', roles: ['auditor'] });
    const download = await app.inject({ url: `/%61udit/exports/${id}/download`, headers: bob });
    expect(download.statusCode).toBe(200);
    expect(download.body).toBe('{}\n');
    expect(download.headers['cache-control']).toBe('no-store');
    expect(await readsOf('u-bob')).toEqual([
      { method: 'GET', route: '/audit/exports/:id/download', session_id: 's-bob', params: { id } },
    ]);
    expect((await app.inject({ url: `/audit/exports/${id}/download` })).statusCode).toBe(401);
  });
});
