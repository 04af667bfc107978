import { generateKeyPairSync } from 'node:crypto';
import { ConfigError, createLogger } from '@gatehouse/runtime';
import { startRedis, type TestRedis } from '@gatehouse/runtime/testing';
import { createLocalJWKSet, exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type GatewayApp } from '../src/app.js';
import { loadServiceConfig, parseUpstreams } from '../src/config.js';
import { gatewayClients } from './redis-clients.js';

let server: TestRedis;
let app: GatewayApp;
const logger = createLogger({ service: 'gateway-test', level: 'silent', format: 'json' });
let clients: Awaited<ReturnType<typeof gatewayClients>> | undefined;

beforeAll(async () => {
  server = await startRedis();
  clients = await gatewayClients(server.url, logger);
  const { publicKey } = generateKeyPairSync('ed25519');
  const keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA' }] });
  const config = loadServiceConfig({
    REDIS_URL: server.url,
    RATE_LIMIT_MAX: '3',
    UPSTREAMS: '/api/x=http://127.0.0.1:1',
  });
  app = await buildApp({ config, logger, redis: clients.redis, keys, assertionKeys: generateKeyPairSync('ed25519') });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await clients?.close();
  await server?.stop();
});

describe('gateway app (inject)', () => {
  it('sets security headers and its own request id, ignoring the client one', async () => {
    const res = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'client-chosen' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['x-request-id']).not.toBe('client-chosen');
  });

  it('rate-limits per client address with 429 and the standard headers', async () => {
    const ip = '203.0.113.7';
    const statuses: number[] = [];
    let last: Awaited<ReturnType<GatewayApp['inject']>> | undefined;
    for (let i = 0; i < 4; i++) {
      last = await app.inject({ url: '/api/x/orders', remoteAddress: ip });
      statuses.push(last.statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect(last?.json()).toMatchObject({ error: 'rate_limited' });
    expect(last?.headers['retry-after']).toBeDefined();
    expect(last?.headers['ratelimit-limit']).toBe('3');
    expect(last?.headers['ratelimit-remaining']).toBe('0');
    const other = await app.inject({ url: '/api/x/orders', remoteAddress: '203.0.113.8' });
    expect(other.statusCode).toBe(401);
  });

  it('does not rate-limit forward-auth by the address of the proxy that asks, nor the probes', async () => {
    // nginx, Traefik and Envoy call /verify from their own address for every client.
    const proxy = '198.51.100.1';
    const statuses = new Set<number>();
    for (let i = 0; i < 6; i++) statuses.add((await app.inject({ url: '/verify', remoteAddress: proxy })).statusCode);
    expect([...statuses]).toEqual([401]);
    for (let i = 0; i < 6; i++) statuses.add((await app.inject({ url: '/healthz', remoteAddress: proxy })).statusCode);
    expect([...statuses]).toEqual([401, 200]);
  });

  it('leaves browser security headers off forward-auth answers, which only proxies read', async () => {
    const verify = await app.inject({ url: '/verify', remoteAddress: '198.51.100.2' });
    expect(verify.statusCode).toBe(401);
    expect(verify.headers['content-security-policy']).toBeUndefined();
    expect(verify.headers['x-request-id']).toBeDefined();
    const proxied = await app.inject({ url: '/api/x/orders', remoteAddress: '198.51.100.2' });
    expect(proxied.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it('answers a bearer challenge for a token signed by an unknown key', async () => {
    const res = await app.inject({
      url: '/api/x/y',
      remoteAddress: '203.0.113.9',
      headers: { authorization: 'Bearer a.b.c' },
    });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toContain('invalid_token');
  });
});

describe('gateway config', () => {
  it('parses the upstream table, longest prefix first', () => {
    expect(parseUpstreams('/api=http://a:1, /api/orders=http://orders:3000/ignored')).toEqual([
      { prefix: '/api/orders', origin: 'http://orders:3000' },
      { prefix: '/api', origin: 'http://a:1' },
    ]);
  });

  it('names the bad variable', () => {
    expect(() => loadServiceConfig({ UPSTREAMS: '/auth=http://x:1' })).toThrow(ConfigError);
    // The gateway's own routes: the console page and the JWKS.
    expect(() => loadServiceConfig({ UPSTREAMS: '/console=http://x:1' })).toThrow(/UPSTREAMS/);
    expect(() => loadServiceConfig({ UPSTREAMS: '/.well-known=http://x:1' })).toThrow(/UPSTREAMS/);
    expect(() => loadServiceConfig({ UPSTREAMS: 'api=http://x:1' })).toThrow(/UPSTREAMS/);
    expect(() => loadServiceConfig({ UPSTREAMS: '/api=ftp://x' })).toThrow(/UPSTREAMS/);
    expect(() => loadServiceConfig({ TRUST_PROXY: 'everyone' })).toThrow(/TRUST_PROXY/);
    expect(() => loadServiceConfig({ RATE_LIMIT_MAX: '-1' })).toThrow(/RATE_LIMIT_MAX/);
    expect(() => loadServiceConfig({ AUTH_URL: 'nope' })).toThrow(/AUTH_URL/);
    // A second-factor route that is not routed would protect nothing: a typo stops start-up.
    expect(() => loadServiceConfig({ UPSTREAMS: '/api=http://x:1', MFA_REQUIRED_ROUTES: '/apj' })).toThrow(
      /MFA_REQUIRED_ROUTES/,
    );
    expect(loadServiceConfig({ UPSTREAMS: '/api=http://x:1', MFA_REQUIRED_ROUTES: '/audit, /api/' })).toBeTruthy();
  });
});
