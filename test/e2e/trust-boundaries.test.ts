import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack, type TestUser } from '../support/stack.js';

// Issue 13: audit and upstreams believe only the gateway's signed assertion, never
// plain x-user-* headers, and audit's guard follows the matched route, not the URL spelling.
let stack: Stack;
let auditor: TestUser;
let token: string;
let sessionId: string;
const forged = { 'x-user-id': 'root', 'x-username': 'root', 'x-user-roles': 'auditor,admin', 'x-session-id': 's' };

beforeAll(async () => {
  // A loaded CI machine can take seconds to answer a Redis command while five processes start.
  stack = await startStack({ env: { REDIS_COMMAND_TIMEOUT_MS: '10000' } });
  auditor = await stack.addUser(['user', 'auditor']);
  ({ token, sessionId } = await stack.token(auditor));
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

const viaGateway = (path: string, init: RequestInit = {}) =>
  fetch(`${stack.gateway.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
  });

async function readsOf(userId: string): Promise<string[]> {
  const { rows } = await stack.pool.query<{ method: string; route: string; session_id: string }>(
    'SELECT method, route, session_id FROM audit_reads WHERE user_id = $1 ORDER BY id',
    [userId],
  );
  return rows.map((r) => `${r.method} ${r.route} ${r.session_id}`);
}

describe('the demo upstream (packages/upstream)', () => {
  it('refuses a direct call, whatever identity headers it carries, and accepts the same call through the gateway', async () => {
    const direct = await fetch(`${stack.demo.url}/hello`, { headers: forged });
    expect(direct.status).toBe(401);
    expect(await direct.json()).toMatchObject({ error: 'invalid_token' });
    const through = await viaGateway('/api/demo/hello');
    expect(through.status).toBe(200);
    const body = (await through.json()) as { identity: Record<string, unknown> };
    expect(body.identity).toMatchObject({ userId: auditor.id, username: auditor.username, sessionId });
  });
});

describe('audit behind the gateway', () => {
  it('refuses direct calls without an assertion on every spelling of every read path', async () => {
    const download = '/%61udit/exports/0190c0d2-8a5e-7000-8000-000000000001/download';
    for (const path of ['/audit/events', '/%61udit/events', '/%61udit/stream', '/%61udit/reads', download]) {
      const res = await fetch(`${stack.audit.url}${path}`, { headers: forged });
      expect(res.status, path).toBe(401);
    }
    const post = await fetch(`${stack.audit.url}/%61udit/exports`, {
      method: 'POST',
      headers: { ...forged, 'content-type': 'application/json' },
      body: JSON.stringify({ format: 'csv' }),
    });
    expect(post.status).toBe(401);
    expect(await readsOf('root')).toEqual([]);
  });

  it('records reads, streams and exports made through the gateway with a percent-encoded path', async () => {
    expect((await viaGateway('/%61udit/events?limit=1')).status).toBe(200);
    expect((await viaGateway('/%61udit/reads?limit=1')).status).toBe(200);
    const stream = new AbortController();
    const live = await viaGateway('/%61udit/stream', { signal: stream.signal });
    expect(live.status).toBe(200);
    stream.abort();
    const created = await viaGateway('/%61udit/exports', { method: 'POST', body: JSON.stringify({ format: 'csv' }) });
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    const { rows } = await stack.pool.query('SELECT requested_by FROM audit_exports WHERE id = $1', [id]);
    expect(rows[0]?.requested_by).toBe(auditor.id);
    expect((await viaGateway(`/%61udit/exports/${id}/download`)).status).toBeGreaterThanOrEqual(200);
    expect(await readsOf(auditor.id)).toEqual([
      `GET /audit/events ${sessionId}`,
      `GET /audit/reads ${sessionId}`,
      `GET /audit/stream ${sessionId}`,
      `POST /audit/exports ${sessionId}`,
      `GET /audit/exports/:id/download ${sessionId}`,
    ]);
  });
});
