import type { AuditEventView } from '@gatehouse/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditApp } from '../src/app.js';
import { whereClause } from '../src/repositories/query.repository.js';
import { AUDITOR, createEnv, type Env, fullEvent, makeApp, storeDirect } from './helpers.js';

let env: Env;
let app: AuditApp;
let base: string;

beforeAll(async () => {
  env = await createEnv();
  app = await makeApp(env, { overrides: { AUDIT_CONSUME: 'false' } });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app.close();
  await env.close();
});

/** Opens the SSE stream and collects `audit-event` messages until `count` arrived. */
async function collect(query: string, count: number, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(`${base}/audit/stream?${query}`, {
    headers: { ...AUDITOR, ...headers },
    signal: controller.signal,
  });
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = response.body?.getReader();
  if (!reader) throw new Error('no body');
  const received: Array<{ id: string; event: AuditEventView }> = [];
  const done = (async () => {
    let buffer = '';
    const decoder = new TextDecoder();
    while (received.length < count) {
      const chunk = await reader.read();
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const id = /^id: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (id && data && /^event: audit-event$/m.test(block)) received.push({ id, event: JSON.parse(data) });
        end = buffer.indexOf('\n\n');
      }
    }
    controller.abort();
    return received;
  })();
  return { done, controller };
}

describe('live stream (server-sent events)', () => {
  it('delivers new matching events live, and resumes after Last-Event-ID with no gap', async () => {
    const live = await collect('userId=live-user&type=auth.login.failed', 3);
    await new Promise((r) => setTimeout(r, 200));
    const wanted = [0, 1, 2].map(() => fullEvent({ type: 'auth.login.failed', subject: 'live-user' }));
    const noise = [
      fullEvent({ type: 'auth.logout', subject: 'live-user' }),
      fullEvent({ type: 'auth.login.failed', subject: 'other' }),
    ];
    await storeDirect(
      env.pool,
      [noise[0], wanted[0]].filter((e) => e !== undefined),
    );
    await storeDirect(
      env.pool,
      [wanted[1], noise[1], wanted[2]].filter((e) => e !== undefined),
    );
    const got = await live.done;
    expect(got.map((g) => g.event.id)).toEqual(wanted.map((w) => w.id));
    expect(got.every((g) => String(g.event.seq) === g.id)).toBe(true);

    const resumed = await collect('userId=live-user', 2, { 'last-event-id': got[0]?.id ?? '' });
    const replay = await resumed.done;
    expect(replay.map((g) => g.event.id)).toEqual([wanted[1]?.id, wanted[2]?.id]);
  });

  it('refuses a stream without a gateway assertion and records the streams opened', async () => {
    const refused = await fetch(`${base}/audit/stream`, { headers: { 'x-user-roles': 'auditor' } });
    expect(refused.status).toBe(401);
    const { rows } = await env.pool.query(`SELECT params FROM audit_reads WHERE route = '/audit/stream' ORDER BY id`);
    expect(rows.map((r) => r.params)).toEqual([
      { userId: 'live-user', type: 'auth.login.failed' },
      { userId: 'live-user' },
    ]);
  });
});

describe('indexes', () => {
  it('serves each listing filter from its index (EXPLAIN)', async () => {
    const many = Array.from({ length: 4000 }, (_, i) =>
      fullEvent({
        type: 'auth.login.failed',
        subject: `bulk-${i % 400}`,
        username: `bulk${i % 400}`,
        ip: `10.0.${i % 250}.1`,
        sessionId: `bs-${i}`,
      }),
    );
    await storeDirect(env.pool, many);
    await env.pool.query('ANALYZE audit_events');
    const plans: Record<string, string> = {};
    for (const [name, filters] of Object.entries({
      none: {},
      userId: { userId: 'bulk-7' },
      username: { username: 'bulk7' },
      ip: { ip: '10.0.7.1' },
      sessionId: { sessionId: 'bs-7' },
    })) {
      const where = whereClause(filters);
      const { rows } = await env.pool.query(
        `EXPLAIN SELECT * FROM audit_events ${where.sql} ORDER BY occurred_at DESC, seq DESC LIMIT 101`,
        where.params,
      );
      plans[name] = rows.map((r) => r['QUERY PLAN']).join('\n');
    }
    // Each month partition has its own copy of each index, named after its columns.
    expect(plans.none).toMatch(/Index Scan using audit_events_\w+_occurred_at_seq_idx/);
    expect(plans.userId).toMatch(/audit_events_\w+_user_id_occurred_at_seq_idx/);
    expect(plans.username).toMatch(/audit_events_\w+_username_occurred_at_seq_idx/);
    expect(plans.ip).toMatch(/audit_events_\w+_ip_occurred_at_seq_idx/);
    expect(plans.sessionId).toMatch(/audit_events_\w+_session_id_occurred_at_seq_idx/);
  });
});
