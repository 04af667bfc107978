import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditApp } from '../src/app.js';
import { AUDITOR, createEnv, type Env, makeApp } from './helpers.js';

let env: Env;
let app: AuditApp;
beforeAll(async () => {
  env = await createEnv();
  app = await makeApp(env, { overrides: { AUDIT_CONSUME: 'false' } });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await env?.close();
});

const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('hostile query input is a 400, never a 500', () => {
  it.each([
    ['a cursor with a year-0 instant', `/audit/events?cursor=${cursor(['0000-01-01T00:00:00Z', 1])}`],
    ['a cursor with a date JavaScript reads but PostgreSQL does not', `/audit/events?cursor=${cursor(['Tue', 1])}`],
    ['a cursor with a huge seq', `/audit/events?cursor=${cursor(['2026-01-01T00:00:00Z', 1e300])}`],
    ['a cursor with a negative seq', `/audit/events?cursor=${cursor(['2026-01-01T00:00:00Z', -1])}`],
    ['a cursor of the wrong shape', `/audit/events?cursor=${cursor({ at: 1 })}`],
    ['a cursor that is not base64 JSON', '/audit/events?cursor=%E2%80%AE%00'],
    ['from in year 0', '/audit/events?from=0000-01-01T00:00:00Z'],
    ['to in year 0', '/audit/events?to=0000-01-01T00:00:00Z'],
    ['stats from year 0', '/audit/stats?from=0000-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&bucket=day'],
    ['a NUL in the username filter', '/audit/events?username=al%00ice'],
    ['a NUL in the ip filter', '/audit/events?ip=10.0.0.1%00'],
    ['a NUL in the session filter', '/audit/events?sessionId=s%00'],
    ['a NUL in an event id', '/audit/events/%00'],
  ])('%s', async (_name, url) => {
    const res = await app.inject({ url, headers: AUDITOR });
    expect({ status: res.statusCode, error: res.json().error }).toEqual({ status: 400, error: 'validation_failed' });
    expect(res.json().message).toEqual(expect.any(String));
  });
});
