import { generateKeyPairSync } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CONSOLE_CSP, consoleDistPath, ensureConsoleBuilt } from '@gatehouse/console';
import { createBaseApp, createLogger } from '@gatehouse/runtime';
import { startRedis, type TestRedis } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type GatewayApp } from '../src/app.js';
import { loadServiceConfig } from '../src/config.js';
import consolePlugin from '../src/plugins/console.js';
import { gatewayClients } from './redis-clients.js';

let server: TestRedis;
let app: GatewayApp;
const logger = createLogger({ service: 'gateway-test', level: 'silent', format: 'json' });
let clients: Awaited<ReturnType<typeof gatewayClients>> | undefined;

beforeAll(async () => {
  await ensureConsoleBuilt();
  server = await startRedis();
  clients = await gatewayClients(server.url, logger);
  const config = loadServiceConfig({ REDIS_URL: server.url, JWKS_URL: 'http://127.0.0.1:1/jwks.json' });
  app = await buildApp({ config, logger, redis: clients.redis, assertionKeys: generateKeyPairSync('ed25519') });
  await app.ready();
}, 60_000);
afterAll(async () => {
  await app?.close();
  await clients?.close();
  await server?.stop();
});

describe('the console under /console/', () => {
  it('redirects /console to /console/ and serves index.html there without a token, no-cache, with the console CSP', async () => {
    const redirect = await app.inject({ url: '/console' });
    expect(redirect.statusCode).toBe(301);
    expect(redirect.headers.location).toBe('/console/');
    expect(redirect.headers['content-security-policy']).toBe(CONSOLE_CSP);
    const page = await app.inject({ url: '/console/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toMatch(/<script type="module" crossorigin src="\/console\/assets\//);
    expect(page.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const named = await app.inject({ url: '/console/index.html' });
    expect(named.headers['cache-control']).toBe('no-cache');
  });

  it('serves hashed assets as immutable, and answers a missing file 404 with the CSP', async () => {
    const names = await readdir(join(consoleDistPath(), 'assets'));
    const script = names.find((n) => n.endsWith('.js'));
    const asset = await app.inject({ url: `/console/assets/${script}` });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-security-policy']).toBe(CONSOLE_CSP);
    const missing = await app.inject({ url: '/console/assets/nope-123.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(missing.headers['cache-control']).toBe('no-cache');
    const traversal = await app.inject({ url: '/console/../../package.json' });
    expect(traversal.statusCode).not.toBe(200);
  });

  it("leaves helmet's policy on other routes", async () => {
    const health = await app.inject({ url: '/healthz' });
    expect(health.headers['content-security-policy']).toBeDefined();
    expect(health.headers['content-security-policy']).not.toBe(CONSOLE_CSP);
  });

  it('answers 503 with a clear message while the console is not built', async () => {
    const bare = createBaseApp({ logger });
    await bare.register(consolePlugin, { root: join(consoleDistPath(), 'does-not-exist') });
    for (const url of ['/console/', '/console/assets/x.js']) {
      const res = await bare.inject({ url });
      expect(res.statusCode, url).toBe(503);
      expect(res.json()).toMatchObject({ error: 'dependency_unavailable' });
      expect(res.json().message).toMatch(/npm run build -w @gatehouse\/console/);
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    }
    await bare.close();
  });
});
