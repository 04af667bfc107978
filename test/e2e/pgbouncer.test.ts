import { startPgBouncer, type TestPgBouncer, waitFor } from '@gatehouse/runtime/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.js';

// auth and audit reach PostgreSQL only through a real pgbouncer in transaction pooling mode:
// migrations, logins, the consumer's inserts and the query API all share its server connections.
let bouncer: TestPgBouncer;
let stack: Stack;

beforeAll(async () => {
  bouncer = await startPgBouncer();
  stack = await startStack({
    serviceDatabaseUrl: (url) => bouncer.via(url),
    env: { REDIS_COMMAND_TIMEOUT_MS: '10000' },
  });
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await bouncer?.stop();
});

describe('every service behind pgbouncer (pool_mode = transaction)', { timeout: 60_000 }, () => {
  it('logs in through the gateway, stores the audit row and answers the query API', async () => {
    const user = await stack.addUser(['auditor']);
    const { token, sessionId } = await stack.token(user);
    await waitFor(
      async () =>
        (await stack.pool.query('SELECT 1 FROM audit_events WHERE session_id = $1', [sessionId])).rowCount === 1,
      20_000,
      'the login event in the audit trail',
    );
    const res = await fetch(`${stack.gateway.url}/audit/events?sessionId=${sessionId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { events: Array<{ type: string; sessionId: string }> };
    expect(body.events).toMatchObject([{ type: 'auth.login.succeeded', sessionId }]);
    expect(await bouncer.transactions(stack.db.name)).toBeGreaterThan(0);
  });

  it('gives pooled server connections the statement timeout (a role setting, not a startup parameter)', async () => {
    // The setting applies to server connections opened after the first migration set it.
    await bouncer.console(`RECONNECT ${stack.db.name}`);
    const client = new pg.Client({ connectionString: bouncer.via(stack.db.url) });
    await client.connect();
    try {
      const { rows } = await client.query('SHOW statement_timeout');
      expect(rows).toEqual([{ statement_timeout: '30s' }]);
    } finally {
      await client.end();
    }
  });
});
