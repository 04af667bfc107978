import { generateKeyPairSync } from 'node:crypto';
import { closeRedis, createLogger, createRedis, waitForRedis } from '@gatehouse/runtime';
import { startRedis, type TestRedis, waitFor } from '@gatehouse/runtime/testing';
import { createLocalJWKSet, exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type GatewayApp } from '../src/app.js';
import { loadServiceConfig } from '../src/config.js';

// The per-address limit shared by replicas: local counts synchronised with Redis in the
// background (the default), or one Redis command per request (strict). Unauthenticated
// requests (401) are counted like any other, so no upstream or token is needed.
const MAX = 20;
const REPLICAS = 3;
let server: TestRedis;
const logger = createLogger({ service: 'gateway-test', level: 'silent', format: 'json' });
const clients: ReturnType<typeof createRedis>[] = [];
const apps: GatewayApp[] = [];
let keys: ReturnType<typeof createLocalJWKSet>;

async function startReplicas(env: Record<string, string>): Promise<GatewayApp[]> {
  const started: GatewayApp[] = [];
  for (let i = 0; i < REPLICAS; i++) {
    const make = (name: string, role?: 'subscriber') => {
      const client = createRedis({ url: server.url, logger, name, ...(role ? { role } : {}) });
      clients.push(client);
      return client;
    };
    const redis = { sessions: make('s'), invalidations: make('i', 'subscriber'), rateLimit: make('r') };
    await Promise.all([redis.sessions, redis.invalidations, redis.rateLimit].map((c) => waitForRedis(c)));
    const config = loadServiceConfig({
      REDIS_URL: server.url,
      RATE_LIMIT_MAX: String(MAX),
      UPSTREAMS: '/api/x=http://127.0.0.1:1',
      ...env,
    });
    const app = await buildApp({ config, logger, redis, keys, assertionKeys: generateKeyPairSync('ed25519') });
    await app.ready();
    apps.push(app);
    started.push(app);
  }
  return started;
}

beforeAll(async () => {
  server = await startRedis();
  const { publicKey } = generateKeyPairSync('ed25519');
  keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA' }] });
});
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await Promise.all(clients.map((c) => closeRedis(c)));
  await server?.stop();
});

const hit = (app: GatewayApp, ip: string) => app.inject({ url: '/api/x/orders', remoteAddress: ip });

async function evalCalls(): Promise<number> {
  const info = (await clients[0]?.info('commandstats')) ?? '';
  return [...info.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
}

describe('rate limit, local counts synchronised with Redis (RATE_LIMIT_MODE=local)', () => {
  let replicas: GatewayApp[];
  beforeAll(async () => {
    replicas = await startReplicas({ RATE_LIMIT_SYNC_MS: '100' });
  });

  it('admits at most max per replica however fast the burst, N × max in all, then refuses at every replica once synchronised', async () => {
    const ip = '203.0.113.20';
    // A burst far faster than one sync interval, spread over the replicas.
    const burst = await Promise.all(
      Array.from({ length: REPLICAS * MAX * 2 }, (_, i) => hit(replicas[i % REPLICAS] as GatewayApp, ip)),
    );
    const admitted = burst.filter((r) => r.statusCode !== 429).length;
    expect(admitted).toBeGreaterThanOrEqual(MAX);
    expect(admitted).toBeLessThanOrEqual(REPLICAS * MAX);
    // Every request reaches Redis within a sync interval; then every replica knows the total.
    await waitFor(async () => Number(await clients[0]?.get(`rate_limit:ip:${ip}`)) === burst.length, 5000, 'sync');
    for (const app of replicas) {
      await waitFor(async () => (await hit(app, ip)).statusCode === 429, 5000, 'a replica to learn the total');
    }
    expect(Number(await clients[0]?.pttl(`rate_limit:ip:${ip}`))).toBeGreaterThan(0);
  });

  it('admits exactly max when one address is served by one replica, with the standard headers', async () => {
    const ip = '203.0.113.21';
    const statuses: number[] = [];
    let last: Awaited<ReturnType<GatewayApp['inject']>> | undefined;
    for (let i = 0; i <= MAX; i++) {
      last = await hit(replicas[0] as GatewayApp, ip);
      statuses.push(last.statusCode);
    }
    expect(statuses.filter((s) => s !== 429)).toHaveLength(MAX);
    expect(statuses.at(-1)).toBe(429);
    expect(last?.headers['ratelimit-limit']).toBe(String(MAX));
    expect(last?.headers['ratelimit-remaining']).toBe('0');
    expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('learns what other replicas admitted: a replica refuses an address the others used up', async () => {
    const ip = '203.0.113.22';
    for (let i = 0; i < MAX; i++) expect((await hit(replicas[1] as GatewayApp, ip)).statusCode).not.toBe(429);
    // replica 0 admitted nothing yet; after its first sync it has learnt the total.
    await waitFor(async () => (await hit(replicas[0] as GatewayApp, ip)).statusCode === 429, 5000, 'sync');
  });

  it('sends Redis one script per sync interval, not one command per request', async () => {
    const before = await evalCalls();
    const started = performance.now();
    let requests = 0;
    for (let round = 0; round < 10; round++) {
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => hit(replicas[i % REPLICAS] as GatewayApp, `198.51.100.${i}`)),
      );
      requests += 30;
    }
    const counted = async () => {
      const values = await clients[0]?.mget(Array.from({ length: 30 }, (_, i) => `rate_limit:ip:198.51.100.${i}`));
      return (values ?? []).reduce((n, v) => n + Number(v), 0);
    };
    await waitFor(async () => (await counted()) === requests, 5000, 'every request counted in Redis');
    const elapsed = performance.now() - started;
    const calls = (await evalCalls()) - before;
    // At most one script per replica per sync interval, and the first one.
    expect(calls).toBeLessThanOrEqual(REPLICAS * (Math.ceil(elapsed / 100) + 1));
    expect(calls).toBeLessThan(requests);
  });
});

describe('rate limit, strict (RATE_LIMIT_MODE=strict)', () => {
  it('admits exactly max across replicas', async () => {
    const replicas = await startReplicas({ RATE_LIMIT_MODE: 'strict' });
    const ip = '203.0.113.30';
    const burst = await Promise.all(
      Array.from({ length: REPLICAS * MAX }, (_, i) => hit(replicas[i % REPLICAS] as GatewayApp, ip)),
    );
    expect(burst.filter((r) => r.statusCode !== 429)).toHaveLength(MAX);
  });

  it('names a bad mode', () => {
    expect(() => loadServiceConfig({ RATE_LIMIT_MODE: 'sometimes' })).toThrow(/RATE_LIMIT_MODE/);
  });
});
