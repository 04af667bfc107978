import { randomBytes } from 'node:crypto';
import { createUser } from '@gatehouse/auth';
import { parseUpstreams } from '@gatehouse/gateway';
import { waitFor } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.js';
import { type ReceivedSpan, startOtlpReceiver } from './otlp-receiver.js';

// One real stack (three processes, private Redis and PostgreSQL) with tracing on and debug logs,
// shared by the tracing, log and metrics checks.
let stack: Stack;
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
const password = `pw-${randomBytes(12).toString('hex')}`;
let token = '';
let sessionId = '';

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  stack = await startStack({
    env: {
      LOG_LEVEL: 'debug',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    },
  });
  await createUser({ pool: stack.pool }, { username: 'olivia', password, roles: ['auditor'] });
});

afterAll(async () => {
  await stack?.close();
  await receiver?.close();
});

const gateway = (path: string, init: RequestInit = {}) => fetch(`${stack.gateway.url}${path}`, init);

async function login(pw: string) {
  return await gateway('/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'observability-test' },
    body: JSON.stringify({ username: 'olivia', password: pw }),
  });
}

const statement = (s: ReceivedSpan) => String(s.attributes['db.statement'] ?? s.attributes['db.query.text'] ?? '');

function ancestors(span: ReceivedSpan, byId: Map<string, ReceivedSpan>): ReceivedSpan[] {
  const chain: ReceivedSpan[] = [];
  for (let s = byId.get(span.parentSpanId ?? ''); s; s = byId.get(s.parentSpanId ?? '')) chain.push(s);
  return chain;
}

describe('observability of one login through the real stack', { timeout: 60_000 }, () => {
  it('one login through the gateway gives one trace across gateway and auth, linked from the audit consumer down to the insert', async () => {
    const res = await login(password);
    expect(res.status).toBe(200);
    ({ accessToken: token, sessionId } = (await res.json()) as { accessToken: string; sessionId: string });
    await waitFor(
      async () =>
        (await stack.pool.query('SELECT 1 FROM audit_events WHERE session_id = $1', [sessionId])).rowCount === 1,
      15_000,
      'the login event in the audit trail',
    );
    const { rows } = await stack.pool.query('SELECT traceparent FROM audit_events WHERE session_id = $1', [sessionId]);
    const traceId = String(rows[0]?.traceparent).split('-')[1];
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    const find = () => {
      const byId = new Map(receiver.spans.map((s) => [s.spanId, s]));
      const consumer = receiver.spans.find(
        (s) =>
          s.service === 'gatehouse-audit' &&
          s.name === 'auth-events process' &&
          s.links.some((l) => l.traceId === traceId),
      );
      const insert = consumer
        ? receiver.spans.find(
            (s) =>
              /INSERT INTO audit_events/i.test(statement(s)) &&
              ancestors(s, byId).some((a) => a.spanId === consumer.spanId),
          )
        : undefined;
      const gatewayServer = receiver.spans.find(
        (s) => s.traceId === traceId && s.service === 'gatehouse-gateway' && s.kind === 2,
      );
      return { byId, consumer, insert, gatewayServer };
    };
    // Each process exports in batches every 100 ms; the outer spans end (and arrive) last.
    await waitFor(
      async () => find().insert !== undefined && find().gatewayServer !== undefined,
      15_000,
      'the consumer span, its insert span and the gateway server span',
    );
    const { byId, consumer, insert } = find();
    const trace = receiver.spans.filter((s) => s.traceId === traceId);
    const services = new Set(trace.map((s) => s.service));
    expect(services).toEqual(new Set(['gatehouse-gateway', 'gatehouse-auth']));
    // gateway server span → gateway's undici client span → auth's server span, one parent chain.
    const authServer = trace.find((s) => s.service === 'gatehouse-auth' && s.kind === 2);
    expect(authServer).toBeDefined();
    const chain = ancestors(authServer as ReceivedSpan, byId);
    expect(chain.some((s) => s.service === 'gatehouse-gateway' && s.kind === 3)).toBe(true);
    expect(chain.at(-1)).toEqual(find().gatewayServer);
    // Auth's Redis script (session + event in one EVALSHA) is a child in the same trace.
    expect(
      trace.some(
        (s) =>
          s.service === 'gatehouse-auth' &&
          String(s.attributes['db.system'] ?? s.attributes['db.system.name']) === 'redis',
      ),
    ).toBe(true);
    // The event's traceparent names a span of that trace, and the consumer links to exactly it.
    const link = consumer?.links.find((l) => l.traceId === traceId);
    expect(trace.some((s) => s.spanId === link?.spanId)).toBe(true);
    expect(consumer?.traceId).not.toBe(traceId);
    expect(consumer?.kind).toBe(5);
    expect(insert?.service).toBe('gatehouse-audit');
  });

  it('logs JSON lines with request, trace and span ids, and never the password or the token (debug level)', async () => {
    expect(token).not.toBe('');
    expect((await login(`${password}-wrong`)).status).toBe(401);
    const authorized = { headers: { authorization: `Bearer ${token}`, cookie: `session=${token}` } };
    expect((await gateway('/auth/session', authorized)).status).toBe(200);
    expect((await gateway('/auth/logout', { ...authorized, method: 'POST' })).status).toBeLessThan(300);
    await new Promise((r) => setTimeout(r, 500));
    const lines = [stack.auth, stack.audit, stack.gateway].flatMap((p) => p.output.filter((l) => l.trim() !== ''));
    expect(lines.length).toBeGreaterThan(20);
    const signature = token.split('.')[2] ?? token;
    for (const line of lines) {
      expect(line).not.toContain(password);
      expect(line).not.toContain(signature);
    }
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const traced = parsed.filter((l) => typeof l.reqId === 'string' && /^[0-9a-f]{32}$/.test(String(l.trace_id)));
    expect(new Set(traced.map((l) => l.service))).toEqual(new Set(['gateway', 'auth']));
    expect(traced.every((l) => /^[0-9a-f]{16}$/.test(String(l.span_id)))).toBe(true);
  });

  it('serves the named series at /metrics on each service, never through the proxy routes', async () => {
    const text = async (url: string) => {
      const res = await fetch(url);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      return await res.text();
    };
    const [gw, auth, audit] = await Promise.all([
      text(`${stack.gateway.url}/metrics`),
      text(`${stack.auth.url}/metrics`),
      text(`${stack.audit.url}/metrics`),
    ]);
    expect(gw).toMatch(
      /gatehouse_http_request_duration_seconds_count\{method="POST",route="\/auth\/login",status_code="200"\} 1/,
    );
    expect(auth).toMatch(/gatehouse_auth_logins_total\{outcome="succeeded"\} 1/);
    expect(auth).toMatch(/gatehouse_auth_logins_total\{outcome="failed"\} 1/);
    expect(auth).toMatch(/gatehouse_sessions_active 0/);
    for (const series of [
      'gatehouse_stream_length{stream="auth-events"}',
      'gatehouse_stream_group_lag{stream="auth-events",group="audit"} 0',
      'gatehouse_stream_group_pending{stream="auth-events",group="audit"} 0',
      'gatehouse_stream_dead_letters{stream="auth-events"} 0',
      'gatehouse_audit_batch_size_count',
      'gatehouse_audit_insert_duration_seconds_bucket',
      'gatehouse_queue_jobs{queue="audit-webhooks",state="failed"} 0',
    ]) {
      expect(audit).toContain(series);
    }
    expect(() => parseUpstreams('/metrics=http://127.0.0.1:9')).toThrow(/reserved prefix/);
    for (const path of ['/auth/metrics', '/audit/metrics']) {
      const res = await gateway(path, { headers: { authorization: `Bearer ${token}` } });
      expect(await res.text(), path).not.toContain('gatehouse_');
    }
  });
});
