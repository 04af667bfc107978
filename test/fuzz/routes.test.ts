import { generateKeyPairSync } from 'node:crypto';
import { connect } from 'node:net';
import { closeRedis, createLogger, createRedis, type RegisteredRoute, registeredRoutes } from '@gatehouse/runtime';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDITOR, createEnv, type Env, makeApp } from '../../services/audit/test/helpers.js';
import { type AuthHarness, startAuth } from '../../services/auth/test/harness.js';
import { buildApp as buildGateway } from '../../services/gateway/src/app.js';
import { loadServiceConfig as gatewayConfig } from '../../services/gateway/src/config.js';
import { type EchoUpstream, startEchoUpstream } from '../support/echo-upstream.js';
import { type FuzzRequest, mangled, requestsFor } from './arbitraries.js';

/** Generated requests per route (half of them without credentials); fixed seed, so a failure replays. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const SEED = Number(process.env.FUZZ_SEED ?? 13);

/** Routes that answer without credentials by design. */
const PUBLIC = /^\/(healthz|readyz|metrics|docs|console|\.well-known\/(gateway-)?jwks\.json|auth\/login)(\/|$)|^\/$/;

interface Service {
  name: string;
  app: Pick<FastifyInstance, 'inject'>;
  url: string;
  /** Headers that make a request authenticated. */
  credentials: () => Record<string, string>;
  /** Routes left out of the authenticated runs (they never end by design). */
  skipAuthenticated?: RegisteredRoute['url'][];
}

let auth: AuthHarness;
let auditEnv: Env;
let upstream: EchoUpstream;
const services: Service[] = [];
const cleanups: Array<() => Promise<unknown>> = [];
const logger = createLogger({ service: 'fuzz', level: 'silent', format: 'json' });

beforeAll(async () => {
  auth = await startAuth({ LOGIN_MAX_ATTEMPTS_PER_IP: '1000000' });
  const user = await auth.addUser();
  const token = () => auth.login(user.username, user.password).then((r) => r.json().accessToken as string);
  let bearer = await token();
  const authUrl = await auth.app.listen({ host: '127.0.0.1', port: 0 });

  auditEnv = await createEnv();
  const audit = await makeApp(auditEnv, { overrides: { AUDIT_CONSUME: 'false' } });
  const auditUrl = await audit.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(
    () => audit.close(),
    () => auditEnv.close(),
  );

  upstream = await startEchoUpstream();
  const redis = {
    sessions: createRedis({ url: auth.server.url, logger, name: 'fuzz' }),
    invalidations: createRedis({ url: auth.server.url, logger, name: 'fuzz', role: 'subscriber' }),
    rateLimit: createRedis({ url: auth.server.url, logger, name: 'fuzz' }),
  };
  const config = gatewayConfig({
    REDIS_URL: auth.server.url,
    AUTH_URL: authUrl,
    AUDIT_URL: auditUrl,
    UPSTREAMS: `/api/demo=${upstream.url}`,
    RATE_LIMIT_MAX: '0',
    LOG_LEVEL: 'silent',
  });
  const gateway = await buildGateway({ config, logger, redis, assertionKeys: generateKeyPairSync('ed25519') });
  const gatewayUrl = await gateway.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(
    () => gateway.close(),
    () => Promise.all(Object.values(redis).map((c) => closeRedis(c))),
    () => upstream.close(),
  );

  // A logout among the generated requests ends the session: take a new one then.
  const authenticated = () => ({ authorization: `Bearer ${bearer}` });
  const refresh = async () => {
    const res = await auth.app.inject({ url: '/auth/session', headers: authenticated() });
    if (res.statusCode === 401) bearer = await token();
  };
  services.push(
    { name: 'auth', app: auth.app, url: authUrl, credentials: authenticated },
    { name: 'audit', app: audit, url: auditUrl, credentials: () => AUDITOR, skipAuthenticated: ['/audit/stream'] },
    { name: 'gateway', app: gateway, url: gatewayUrl, credentials: authenticated },
  );
  refreshSession = refresh;
}, 120_000);

let refreshSession: () => Promise<void> = async () => undefined;

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await auth?.close();
});

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function pathOf(url: string): [string, string] {
  const at = url.indexOf('?');
  return at < 0 ? [url, ''] : [url.slice(0, at), url.slice(at)];
}

/** Checks one answer: never a 5xx, every 4xx the `{ error, message }` JSON, no 2xx without credentials off the public routes. */
function check(
  request: FuzzRequest,
  authenticated: boolean,
  res: { statusCode: number; body: string; headers: Record<string, unknown> },
) {
  const where = `${request.method} ${request.url}${authenticated ? ' (authenticated)' : ''}`;
  expect(res.statusCode, `${where} answered ${res.statusCode}: ${res.body.slice(0, 200)}`).toBeLessThan(500);
  if (res.statusCode >= 400 && request.method !== 'HEAD') {
    expect(String(res.headers['content-type']), where).toMatch(/^application\/json/);
    const body = JSON.parse(res.body);
    expect(body, where).toEqual({ error: expect.any(String), message: expect.any(String) });
  }
  if (!authenticated && res.statusCode < 300) {
    expect(
      PUBLIC.test(safeDecode(new URL(pathOf(request.url)[0], 'http://x').pathname).toLowerCase()),
      `${where} answered ${res.statusCode} without credentials`,
    ).toBe(true);
  }
}

describe.each(['auth', 'audit', 'gateway'])('fuzzing every route of %s', (name) => {
  it('never answers 5xx, answers every 4xx as { error, message }, and keeps every guarded route guarded', async () => {
    const service = services.find((s) => s.name === name) as Service;
    // The console's static files answer 503 until the console is built; its own tests cover them.
    const routes = registeredRoutes(service.app).filter((r) => !r.url.startsWith('/console'));
    expect(routes.length).toBeGreaterThan(3);
    for (const route of routes) {
      type Case = { request: FuzzRequest; authenticated: boolean };
      const arbitrary = fc
        .tuple(requestsFor(route), fc.boolean())
        .chain(([request, authenticated]): fc.Arbitrary<Case> => {
          if (authenticated) return fc.constant({ request, authenticated });
          const [path, query] = pathOf(request.url);
          return mangled(path).map((p) => ({ request: { ...request, url: p + query }, authenticated }));
        });
      await fc.assert(
        fc.asyncProperty(arbitrary, async ({ request, authenticated }) => {
          const skip = authenticated && service.skipAuthenticated?.includes(route.url);
          const headers = { ...request.headers, ...(authenticated && !skip ? service.credentials() : {}) };
          const res = await service.app.inject({ ...request, method: request.method as 'GET', headers });
          check(request, authenticated && !skip, res);
          if (authenticated && res.statusCode === 401) await refreshSession();
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
    }
  });
});

function dechunk(body: string): string {
  let out = '';
  let rest = body;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, eol), 16);
    if (!(size > 0)) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

/** Sends a raw HTTP/1.1 request line (what no client library lets a test write) and returns the status and body. */
function raw(
  url: string,
  requestLine: string,
): Promise<{ statusCode: number; body: string; headers: Record<string, unknown> }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () =>
      socket.write(`${requestLine}\r\nHost: x\r\nConnection: close\r\n\r\n`),
    );
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString('utf8')));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n');
      const [status = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      const chunked = headers['transfer-encoding'] === 'chunked';
      resolve({ statusCode: Number(status.split(' ')[1]), body: chunked ? dechunk(body) : body, headers });
    });
  });
}

describe('absolute-form request targets (GET http://x/...)', () => {
  it.each(['auth', 'audit', 'gateway'])(
    '%s answers them as a client error or as the path, never a 5xx',
    async (name) => {
      const service = services.find((s) => s.name === name) as Service;
      for (const path of ['/api/demo/x', '/audit/events', '/auth/session', '/healthz', '/', '/%61udit/events']) {
        for (const target of [`http://x${path}`, `HTTP://X:1${path}`, `http://user:pw@x${path}?a=1`]) {
          const res = await raw(service.url, `GET ${target} HTTP/1.1`);
          check({ method: 'GET', url: path, headers: {} }, false, res);
        }
      }
    },
  );
});
