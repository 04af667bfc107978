import { closeRedis, createLogger, createRedis, waitForRedis } from '@gatehouse/runtime';
import { startRedis, type TestRedis } from '@gatehouse/runtime/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/adapters/fastify-rate-limit.js';

let server: TestRedis;
let redis: Redis;
beforeAll(async () => {
  server = await startRedis();
  redis = createRedis({
    url: server.url,
    logger: createLogger({ service: 'gateway-test', level: 'silent', format: 'json' }),
    name: 'gateway-test',
  });
  await waitForRedis(redis);
});
afterAll(async () => {
  await closeRedis(redis);
  await server.stop();
});

const incr = (store: InstanceType<typeof RedisStore>, key: string, windowMs: number, max: number) =>
  new Promise<{ current: number; ttl: number }>((resolve, reject) =>
    store.incr(
      key,
      (err, result) => (err || !result ? reject(err ?? new Error('no result')) : resolve(result)),
      windowMs,
      max,
    ),
  );

// @fastify/rate-limit's private store/RedisStore.js, called as protection.ts calls it: an upgrade that
// moves it, changes its constructor or its reply fails here.
describe('@fastify/rate-limit RedisStore (a private path of the package)', () => {
  it('counts per key under the prefix, in a window that starts at the first count', async () => {
    const store = new RedisStore(false, false, redis, 'adapter-test:');
    const first = await incr(store, '192.0.2.1', 60_000, 3);
    expect(first).toEqual({ current: 1, ttl: 60_000 });
    const second = await incr(store, '192.0.2.1', 60_000, 3);
    expect(second.current).toBe(2);
    expect(second.ttl).toBeGreaterThan(50_000);
    expect(second.ttl).toBeLessThanOrEqual(60_000);
    expect(await redis.get('adapter-test:192.0.2.1')).toBe('2');
    expect(await redis.pttl('adapter-test:192.0.2.1')).toBeGreaterThan(50_000);
  });

  it('makes a child store per route whose keys stay under the prefix', async () => {
    const store = new RedisStore(false, false, redis, 'adapter-child:');
    const child = store.child({
      continueExceeding: false,
      exponentialBackoff: false,
      routeInfo: { method: 'GET', url: '/x' },
    });
    expect((await incr(child, '192.0.2.2', 1000, 1)).current).toBe(1);
    expect(await redis.get('adapter-child:GET/x-192.0.2.2')).toBe('1');
  });
});
