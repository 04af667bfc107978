import { GatehouseError } from '@gatehouse/contracts';
import { createBaseApp, createLogger, healthPlugin, REDACT_PATHS } from '@gatehouse/runtime';
import { Type } from '@sinclair/typebox';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';

const app = createBaseApp({ logger: createLogger({ service: 'test', level: 'silent', format: 'json' }) });
app.register(healthPlugin, {
  checks: {
    fine: async () => 'ok',
    broken: async () => {
      throw new Error('down');
    },
  },
});
app.post(
  '/echo',
  { schema: { body: Type.Object({ name: Type.String(), age: Type.Integer() }) } },
  async (req) => req.body,
);
app.get('/typed-query', { schema: { querystring: Type.Object({ n: Type.Integer() }) } }, async (req) => req.query);
app.get('/teapot', async () => {
  throw new GatehouseError('too_many_attempts', 'Slow down.', { headers: { 'retry-after': '7' } });
});
app.get('/boom', async () => {
  throw new Error('secret internals');
});
afterAll(() => app.close());

/** POSTs `payload` to /echo, with `contentType` when given. */
const echo = (payload: string | object, contentType?: string) =>
  app.inject({
    method: 'POST',
    url: '/echo',
    payload,
    ...(contentType ? { headers: { 'content-type': contentType } } : {}),
  });

describe('base app', () => {
  it('names the field that fails validation', async () => {
    const res = await echo({ name: 'a', age: 'old' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'validation_failed', message: expect.stringContaining('age') });
    const missing = await echo({ age: 3 });
    expect(missing.json().message).toContain('name');
  });

  it('answers malformed JSON and oversized bodies with JSON 4xx', async () => {
    const bad = await echo('{"name":', 'application/json');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('invalid_json');
    const big = await echo({ name: 'x'.repeat(2 * 1024 * 1024), age: 1 });
    expect(big.statusCode).toBe(413);
    expect(big.json().error).toBe('payload_too_large');
    const text = await echo('a', 'text/csv');
    expect(text.statusCode).toBe(415);
  });

  it('shapes a GatehouseError with its status and headers', async () => {
    const res = await app.inject('/teapot');
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.json()).toEqual({ error: 'too_many_attempts', message: 'Slow down.' });
  });

  it('hides unknown errors behind a generic 500 and echoes the request id', async () => {
    const res = await app.inject({ url: '/boom', headers: { 'x-request-id': 'req-1' } });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret');
    expect(res.headers['x-request-id']).toBe('req-1');
  });

  it('mints a distinct random (UUID v4, not a counter a client could read volume from) request id per request that brings none', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) ids.add(String((await app.inject('/healthz')).headers['x-request-id']));
    expect(ids.size).toBe(3);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('answers unknown routes with JSON 404', async () => {
    const res = await app.inject('/nope?x=1');
    expect(res.json()).toEqual({ error: 'not_found', message: 'Route GET /nope not found' });
  });

  it('reports readiness per check', async () => {
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks).toEqual({ fine: { ok: true, detail: 'ok' }, broken: { ok: false, detail: 'down' } });
  });
});

describe('validation', () => {
  it('takes a JSON body as sent: a number is not a string', async () => {
    const res = await echo({ name: 42, age: 1 });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe('body/name must be string');
  });

  it('converts query string values to their declared types', async () => {
    const res = await app.inject('/typed-query?n=5');
    expect(res.json()).toEqual({ n: 5 });
  });
});

describe('request loggers', () => {
  it('write lines with the request id and redaction only at enabled levels', async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = { write: (line: string) => void lines.push(JSON.parse(line)) };
    const logged = createBaseApp({ logger: pino({ level: 'warn', redact: REDACT_PATHS }, stream) });
    logged.get('/log', async (request) => {
      request.log.info('below the level');
      request.log.warn({ password: 'hunter2' }, 'above the level');
      request.log.child({ step: 'inner' }).error('from a child');
      return {};
    });
    const res = await logged.inject({ url: '/log' });
    await logged.close();
    const requestId = res.headers['x-request-id'];
    expect(lines.map((line) => line.msg)).toEqual(['above the level', 'from a child']);
    expect(lines[0]).toMatchObject({ reqId: requestId, password: '[Redacted]' });
    expect(lines[1]).toMatchObject({ reqId: requestId, step: 'inner' });
  });
});

describe('log redaction of request URLs', () => {
  it('never writes a secret query parameter (a canary token) to a log line, at any level', async () => {
    const canary = `canary-${Date.now().toString(36)}-eyJhbGciOiJFZERTQSJ9`;
    const lines: string[] = [];
    const destination = { write: (line: string) => void lines.push(line) };
    const logged = createBaseApp({
      logger: createLogger({ service: 'test', level: 'trace', format: 'json', destination }),
    });
    logged.get('/api/demo/x', async () => {
      throw new GatehouseError('invalid_token', 'A bearer access token is required.');
    });
    const secrets = [
      'access_token',
      'token',
      'id_token',
      'refresh_token',
      'code',
      'password',
      'client_secret',
      'api_key',
      'sig',
      '%61ccess_token',
    ];
    for (const name of secrets) {
      const res = await logged.inject({ url: `/api/demo/x?page=2&${name}=${canary}&state=s1` });
      expect(res.statusCode).toBe(401);
    }
    await logged.inject({ url: `/nowhere?access_token=${canary}` });
    await logged.close();
    expect(lines.length).toBeGreaterThan(secrets.length);
    expect(lines.filter((line) => line.includes(canary))).toEqual([]);
    const urls = lines.map((line) => JSON.parse(line).req?.url).filter(Boolean);
    expect(urls).toContain('/api/demo/x?page=2&access_token=[redacted]&state=s1');
    expect(urls).toContain('/api/demo/x?page=2&%61ccess_token=[redacted]&state=s1');
  });
});

describe('Cache-Control', () => {
  it('is no-store on every reply (tokens, sessions, errors) unless the route sets its own', async () => {
    const cached = createBaseApp({ logger: createLogger({ service: 'test', level: 'silent', format: 'json' }) });
    cached.post('/token', async () => ({ accessToken: 'secret' }));
    cached.get('/public', async (_request, reply) => reply.header('cache-control', 'public, max-age=300').send({}));
    const token = await cached.inject({ method: 'POST', url: '/token' });
    const missing = await cached.inject({ url: '/missing' });
    const open = await cached.inject({ url: '/public' });
    await cached.close();
    expect(token.headers['cache-control']).toBe('no-store');
    expect(missing.headers['cache-control']).toBe('no-store');
    expect(open.headers['cache-control']).toBe('public, max-age=300');
  });
});
