import type { IncomingMessage, ServerResponse } from 'node:http';
import rateLimit from '@fastify/rate-limit';
import { GatehouseError } from '@gatehouse/contracts';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet from 'helmet';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { type RateLimitStore, RedisStore, type StoreCallback } from '../adapters/fastify-rate-limit.js';

/** How the per-address limit is shared by the replicas (`RATE_LIMIT_MODE`). */
type RateLimitMode = 'local' | 'strict';

/** Options of the protection plugin. */
interface ProtectionOptions {
  /** A connection of its own: rate limiting never shares the tracked session reader. */
  redis: Redis;
  /** Requests per client address per window; 0 turns rate limiting off. */
  max: number;
  windowSeconds: number;
  /**
   * `local`: each replica counts in memory and adds its counts to Redis every
   * `syncMs` (no Redis command on the request path); `strict`: one Redis
   * command per request, exact across replicas.
   */
  mode: RateLimitMode;
  syncMs: number;
  logger: Logger;
}

const KEY_PREFIX = 'rate_limit:ip:';

// The library's own Redis store, wrapped so a Redis failure is a 503, not a 500.
function failClosedStore(redis: Redis) {
  return class FailClosedRedisStore implements RateLimitStore {
    readonly #inner: RateLimitStore;
    constructor(_params: unknown, inner?: RateLimitStore) {
      this.#inner = inner ?? new RedisStore(false, false, redis, KEY_PREFIX);
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

/** One address's count in the current window, as this replica knows it. */
interface Window {
  key: string;
  /** The count Redis returned at this replica's last sync (every replica's requests). */
  seen: number;
  /** Requests counted here and being added to Redis now. */
  sending: number;
  /** Requests counted here since. */
  pending: number;
  resetAt: number;
}

/** Adds each key's count and returns, per key, the window's total and its remaining ms (the window starts at the first count). */
const ADD_COUNTS_LUA = `
local out = {}
for i, key in ipairs(KEYS) do
  local total = redis.call('INCRBY', key, ARGV[i + 1])
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    ttl = tonumber(ARGV[1])
    redis.call('PEXPIRE', key, ttl)
  end
  out[2 * i - 1] = total
  out[2 * i] = ttl
end
return out`;
const KEYS_PER_SYNC = 500;
type Syncer = Redis & { ghAddCounts(...args: (string | number)[]): Promise<number[]> };

/**
 * The local-and-global limiter (`RATE_LIMIT_MODE=local`), in the manner of
 * Envoy's local plus global limits: a request is counted in this replica's
 * memory and decided there, against the total Redis returned at the last sync
 * plus what this replica counted since; every `syncMs` one script adds every
 * address's new requests to the same `rate_limit:ip:{ip}` counters the strict
 * store uses and brings back the totals. Steady traffic therefore costs one
 * Redis command per interval, whatever the request rate.
 *
 * The bound (docs/gateway.md): a replica admits a request only while
 * `seen + sending + pending < max`, and `seen` includes everything it sent, so
 * no replica admits more than `max` per window and N replicas at most `N ×
 * max`; and once the admitted total reaches `max`, every replica has learnt
 * it within two sync intervals plus two round trips, so the excess is also at
 * most what the client sends in that time. One replica is exact. While Redis
 * is away each replica keeps limiting on its own counts and retries the sync.
 */
function localStore(redis: Redis, syncMs: number, windowMs: number, logger: Logger) {
  redis.defineCommand('ghAddCounts', { lua: ADD_COUNTS_LUA });
  const windows = new LRUCache<string, Window>({ max: 100_000 });
  let dirty = new Set<Window>();
  let syncing = false;
  let failing = false;

  const sync = async () => {
    if (syncing || dirty.size === 0) return;
    syncing = true;
    const batch = [...dirty];
    dirty = new Set();
    for (const w of batch) {
      w.sending = w.pending;
      w.pending = 0;
    }
    try {
      for (let i = 0; i < batch.length; i += KEYS_PER_SYNC) {
        const part = batch.slice(i, i + KEYS_PER_SYNC);
        const reply = await (redis as Syncer).ghAddCounts(
          part.length,
          ...part.map((w) => KEY_PREFIX + w.key),
          windowMs,
          ...part.map((w) => w.sending),
        );
        const now = Date.now();
        part.forEach((w, j) => {
          w.seen = Number(reply[2 * j]);
          w.sending = 0;
          w.resetAt = now + Number(reply[2 * j + 1]);
        });
      }
      if (failing) logger.info('rate limiter synchronised with redis again');
      failing = false;
    } catch (err) {
      for (const w of batch) {
        if (w.sending === 0) continue;
        w.pending += w.sending;
        w.sending = 0;
        dirty.add(w);
      }
      if (!failing) logger.warn({ err }, 'rate limiter cannot reach redis; limiting on local counts');
      failing = true;
    } finally {
      syncing = false;
    }
  };
  const timer = setInterval(() => void sync(), syncMs);
  timer.unref();

  class LocalStore implements RateLimitStore {
    incr(key: string, callback: StoreCallback): void {
      const now = Date.now();
      let w = windows.get(key);
      if (w === undefined || now >= w.resetAt) {
        w = { key, seen: 0, sending: 0, pending: 0, resetAt: now + windowMs };
        windows.set(key, w);
      }
      w.pending += 1;
      dirty.add(w);
      callback(null, { current: w.seen + w.sending + w.pending, ttl: w.resetAt - now });
    }
    child(): RateLimitStore {
      return this;
    }
  }
  return { Store: LocalStore, close: () => clearInterval(timer), sync };
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
function securityHeaders(): Record<string, string> {
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
    const windowMs = options.windowSeconds * 1000;
    let store: new (params: unknown) => RateLimitStore = failClosedStore(options.redis);
    if (options.mode === 'local') {
      const local = localStore(options.redis, options.syncMs, windowMs, options.logger);
      // The counts of the last interval go to Redis before its connection closes.
      app.addHook('onClose', async () => {
        local.close();
        await local.sync();
      });
      store = local.Store;
    }
    await app.register(rateLimit, {
      global: true,
      max: options.max,
      timeWindow: windowMs,
      store,
      enableDraftSpec: true,
      errorResponseBuilder: (_request, context) =>
        new GatehouseError('rate_limited', `Too many requests; retry in ${context.after}.`),
    });
  },
  { name: 'gateway-protection', fastify: '5.x' },
);
