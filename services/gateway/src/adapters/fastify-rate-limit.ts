import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';

/** The callback of a rate-limit store's `incr`. */
export type StoreCallback = (err: Error | null, result?: { current: number; ttl: number }) => void;

/** A store as @fastify/rate-limit calls it (its `store` option). */
export interface RateLimitStore {
  incr(key: string, callback: StoreCallback, timeWindow?: number, max?: number): void;
  child(routeOptions: unknown): RateLimitStore;
}

type RedisStoreClass = new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  redis: Redis,
  key: string,
) => RateLimitStore;

/**
 * @fastify/rate-limit's own Redis store (its Lua script, counting in
 * `key + address` with a PEXPIRE window). The package does not export it: it
 * is loaded from its private path `store/RedisStore.js`, here only, and
 * test/adapters/fastify-rate-limit.test.ts calls it directly, so an upgrade
 * that moves it or changes its constructor fails that test, not production.
 */
export const RedisStore = createRequire(import.meta.url)('@fastify/rate-limit/store/RedisStore.js') as RedisStoreClass;
