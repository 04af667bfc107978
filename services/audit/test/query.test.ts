import type { AuditEventView, AuthEvent } from '@gatehouse/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditApp } from '../src/app.js';
import { AUDITOR, asserted, createEnv, type Env, fullEvent, makeApp, storeDirect } from './helpers.js';

let env: Env;
let app: AuditApp;
const NOW = new Date('2030-01-02T12:00:00.000Z');
const TYPES = ['auth.login.succeeded', 'auth.login.failed', 'auth.login.rate_limited', 'auth.logout'] as const;
const events: AuthEvent[] = [];

beforeAll(async () => {
  env = await createEnv();
  for (let i = 0; i < 120; i++) {
    // Pairs share a timestamp, so the seq tie-break is exercised.
    const at = new Date(NOW.getTime() - (120 - Math.floor(i / 2)) * 20 * 60_000);
    events.push(
      fullEvent(
        {
          type: TYPES[i % 4] ?? 'auth.logout',
          subject: `u${i % 3}`,
          username: `name${i % 3}`,
          ip: `192.0.2.${i % 5}`,
          sessionId: `s${i % 7}`,
        },
        at,
      ),
    );
  }
  await storeDirect(env.pool, events);
  app = await makeApp(env, { overrides: { AUDIT_CONSUME: 'false' }, clock: () => NOW });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await env.close();
});

const get = (url: string, headers: Record<string, string> = AUDITOR) => app.inject({ url, headers });
const newestFirst = (list: AuthEvent[]) => [...list].reverse().map((e) => e.id); // stored in occurredAt order, pairs in seq order

describe('query API', () => {
  it('refuses callers the gateway vouches for without the auditor role with 403 insufficient_role', async () => {
    for (const roles of [[], ['user', 'admin'], ['auditors']]) {
      const headers = await asserted({ userId: 'u9', username: 'mallory', sessionId: 's9', roles });
      const reply = await get('/audit/events', { ...headers, 'x-user-roles': 'auditor' });
      expect(reply.statusCode).toBe(403);
      expect(reply.json().error).toBe('insufficient_role');
    }
    const both = await asserted({ userId: 'u9', username: 'mallory', sessionId: 's9', roles: ['user', 'auditor'] });
    expect((await get('/audit/events', both)).statusCode).toBe(200);
  });

  it('filters by user id, username, type, ip, session id and time, newest first', async () => {
    const from = new Date(NOW.getTime() - 30 * 20 * 60_000).toISOString();
    const cases: Array<[string, (e: AuthEvent) => boolean]> = [
      ['userId=u1', (e) => e.subject === 'u1'],
      ['username=name2', (e) => e.username === 'name2'],
      ['type=auth.login.failed', (e) => e.type === 'auth.login.failed'],
      ['ip=192.0.2.3', (e) => e.ip === '192.0.2.3'],
      ['sessionId=s4', (e) => e.sessionId === 's4'],
      [`from=${from}&userId=u0`, (e) => e.occurredAt >= from && e.subject === 'u0'],
      [`to=${from}&ip=192.0.2.0`, (e) => e.occurredAt < from && e.ip === '192.0.2.0'],
    ];
    for (const [query, keep] of cases) {
      const reply = await get(`/audit/events?limit=1000&${query}`);
      expect(reply.statusCode, query).toBe(200);
      expect(
        reply.json().events.map((e: AuditEventView) => e.id),
        query,
      ).toEqual(newestFirst(events.filter(keep)));
    }
  });

  it('pages with a keyset cursor: no gaps or repeats, even while new events arrive', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let page = 0;
    do {
      const reply = await get(`/audit/events?limit=7&userId=u2${cursor ? `&cursor=${cursor}` : ''}`);
      const body = reply.json();
      seen.push(...body.events.map((e: AuditEventView) => e.id));
      cursor = body.nextCursor;
      if (page++ === 2) await storeDirect(env.pool, [fullEvent({ type: 'auth.logout', subject: 'u2' }, NOW)]);
    } while (cursor);
    expect(seen).toEqual(newestFirst(events.filter((e) => e.subject === 'u2')));
  });

  it('returns one event by id, 404 for an unknown one, and 400 naming the bad field', async () => {
    const target = events[5] as AuthEvent;
    const one = await get(`/audit/events/${target.id}`);
    expect(one.json()).toMatchObject({
      id: target.id,
      seq: 6,
      type: target.type,
      ip: target.ip,
      occurredAt: target.occurredAt,
    });
    expect((await get('/audit/events/0190d1e2-0000-7000-8000-00000000dead')).statusCode).toBe(404);
    for (const [url, field] of [
      ['/audit/events/not-a-uuid', 'id'],
      ['/audit/events?limit=1001', 'limit'],
      ['/audit/events?type=auth.bogus', 'type'],
      ['/audit/events?from=yesterday', 'from'],
      ['/audit/events?cursor=garbage', 'cursor'],
      ['/audit/events?colour=red', 'colour'],
    ] as const) {
      const reply = await get(url);
      expect(reply.statusCode, url).toBe(400);
      expect(reply.json().error).toBe('validation_failed');
      expect(reply.json().message, url).toContain(field);
    }
  });

  it('summarises a user: last successful login, failures and lockouts in 24 h, live sessions', async () => {
    const ends = Math.floor(Date.now() / 1000) + 3600;
    await env.redis.zadd('user_sessions:u0', ends, 'live-1', ends, 'live-2', ends, 'gone-3');
    await env.redis.hset('session:live-1', 'sub', 'u0');
    await env.redis.hset('session:live-2', 'sub', 'u0');
    const reply = await get('/audit/users/u0/summary');
    const since = NOW.getTime() - 24 * 3600 * 1000;
    const mine = events.filter((e) => e.subject === 'u0' && Date.parse(e.occurredAt) >= since);
    const lastSuccess = events.filter((e) => e.subject === 'u0' && e.type === 'auth.login.succeeded').at(-1);
    expect(reply.json()).toMatchObject({
      userId: 'u0',
      username: 'name0',
      failuresLast24h: mine.filter((e) => e.type === 'auth.login.failed').length,
      lockoutsLast24h: mine.filter((e) => e.type === 'auth.login.rate_limited').length,
      activeSessions: ['live-1', 'live-2'],
    });
    expect(reply.json().lastSuccessfulLogin.id).toBe(lastSuccess?.id);
  });

  it('records every read (who, which filters, when) and lists the readers', async () => {
    const headers = await asserted({ userId: 'auditor-9', username: 'zed', sessionId: 's-zed', roles: ['auditor'] });
    await get('/audit/events?ip=192.0.2.1&limit=3', headers);
    await get('/audit/users/u1/summary', headers);
    const reply = await get('/audit/reads?userId=auditor-9', headers);
    const reads = reply.json().reads;
    expect(reads.map((r: { route: string }) => r.route)).toEqual([
      '/audit/reads',
      '/audit/users/:userId/summary',
      '/audit/events',
    ]);
    expect(reads[2]).toMatchObject({
      userId: 'auditor-9',
      username: 'zed',
      method: 'GET',
      params: { ip: '192.0.2.1', limit: 3 },
    });
    expect(reads[1].params).toEqual({ userId: 'u1' });
    expect(Date.parse(reads[2].at)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('describes every route in OpenAPI', async () => {
    const spec = (await app.inject('/docs/json')).json();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/audit/events',
        '/audit/events/{id}',
        '/audit/users/{userId}/summary',
        '/audit/stream',
        '/audit/verify',
        '/audit/reads',
      ]),
    );
  });
});
