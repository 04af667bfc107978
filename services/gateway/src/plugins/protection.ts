import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import rateLimit from '@fastify/rate-limit';
import { GatehouseError } from '@gatehouse/contracts';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet from 'helmet';
import type { Redis } from 'ioredis';

/** Options of the protection plugin. */
export interface ProtectionOptions {
  /** A connection of its own: rate limiting never shares the tracked session reader. */
  redis: Redis;
  /** Requests per client address per window; 0 turns rate limiting off. */
  max: number;
  windowSeconds: number;
}

type StoreCallback = (err: Error | null, result?: { current: number; ttl: number }) => void;
interface RateLimitStore {
  incr(key: string, callback: StoreCallback, timeWindow?: number, max?: number): void;
  child(routeOptions: unknown): RateLimitStore;
}
type RedisStoreClass = new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  redis: Redis,
  key: string,
) => RateLimitStore;

// The library's own Redis store (its Lua script), wrapped so a Redis failure is a 503, not a 500.
const RedisStore = createRequire(import.meta.url)('@fastify/rate-limit/store/RedisStore.js') as RedisStoreClass;

function failClosedStore(redis: Redis) {
  return class FailClosedRedisStore implements RateLimitStore {
    readonly #inner: RateLimitStore;
    constructor(_params: unknown, inner?: RateLimitStore) {
      this.#inner = inner ?? new RedisStore(false, false, redis, 'rate_limit:ip:');
    }
    incr(key: string, callback: StoreCallback, timeWindow?: number, max?: number): void {
      this.#inner.incr(
        key,
        (err, result) =>
          err
            ? callback(new GatehouseError('dependency_unavailable', 'The rate limiter is unavailable.', { cause: err }))
            : callback(null, result),
        timeWindow,
        max,
      );
    }
    child(routeOptions: unknown): RateLimitStore {
      return new FailClosedRedisStore(undefined, this.#inner.child(routeOptions));
    }
  };
}

// Probes, and forward-auth: a proxy calls /verify from its own address on behalf of
// every client, so a per-address limit there would throttle all of them together.
// The fronting proxy limits its own clients.
const FORWARD_AUTH = '/verify';
const UNLIMITED = new Set(['/healthz', '/readyz', FORWARD_AUTH]);

/**
 * helmet's default security headers, asked of helmet once. `@fastify/helmet`
 * builds the helmet middleware again on every request (parsing the CSP each
 * time), which cost the gateway about 16 µs and much garbage per request
 * (docs/performance.md); the headers never change, so they are computed here once.
 */
export function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: () => undefined,
  };
  helmet()({} as IncomingMessage, response as unknown as ServerResponse, () => undefined);
  return headers;
}

/**
 * Security headers (helmet's) on every response but forward-auth's, which a
 * proxy reads and no browser ever sees (they cost /verify a quarter of its
 * time), and a per-client-address rate limit kept in Redis.
 */
export default fp(
  async function protection(app: FastifyInstance, options: ProtectionOptions) {
    const headers = securityHeaders();
    app.addHook('onRequest', (request, reply, done) => {
      if (request.routeOptions.url !== FORWARD_AUTH) reply.headers(headers);
      done();
    });
    if (options.max === 0) return;
    // Exempt routes get no rate-limit hook at all (this runs before the plugin's own onRoute).
    app.addHook('onRoute', (route) => {
      if (UNLIMITED.has(route.url)) route.config = { ...route.config, rateLimit: false };
    });
    await app.register(rateLimit, {
      global: true,
      max: options.max,
      timeWindow: options.windowSeconds * 1000,
      store: failClosedStore(options.redis),
      enableDraftSpec: true,
      errorResponseBuilder: (_request, context) =>
        new GatehouseError('rate_limited', `Too many requests; retry in ${context.after}.`),
    });
  },
  { name: 'gatehouse-protection', fastify: '5.x' },
);
