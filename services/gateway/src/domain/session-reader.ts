import {
  isIdle,
  REVOCATION_ACK_CHANNEL,
  SESSION_LAST_SEEN_FIELD,
  sessionKey,
  TOUCH_SESSION_LUA,
  touchIntervalSeconds,
} from '@gatehouse/contracts';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { unavailable } from './errors.js';
import { InvalidationChannel, serverRunId } from './invalidation-channel.js';
import { SESSION_FIELDS, type SessionRecord, sessionIdOfKey, toSessionRecord } from './session-record.js';

/** Options of {@link SessionReader}. */
export interface SessionReaderOptions {
  /** The tracked connection: it only ever reads sessions. */
  reader: Redis;
  /** The connection that receives invalidations. */
  subscriber: Redis;
  logger: Logger;
  /** Sessions kept locally; 0 turns client-side caching off (every check reads Redis). */
  cacheSize: number;
  /** A cached entry is served only while the invalidation channel answered a PING this recently. */
  leaseMs: number;
  heartbeatMs: number;
  /** `SESSION_IDLE_TIMEOUT_SECONDS` (as auth's); 0 = off. */
  idleTimeoutSeconds: number;
  /** Where the idle timeout's last-use stamp is rewritten and barriers are confirmed (never the tracked reader). */
  writer: Redis;
  now?: () => number;
}

type Toucher = Redis & {
  ghTouchSessionNoDeadline(key: string, field: string, now: number, interval: number): Promise<number>;
};

/**
 * Reads `session:{sid}` with Redis client-side caching (RESP2, default
 * tracking mode, invalidations redirected to a subscriber connection).
 *
 * Safety rules: an entry is cached only when tracking was on for the whole
 * read and no invalidation for that key (nor a flush) arrived meanwhile; the
 * whole cache is dropped whenever either connection closes (so also when a
 * failover moves it to a new primary), tracking is re-established, or the
 * heartbeat lease lapses; tracking is turned on only when both connections
 * are on the same server (a redirect to the same client id on another server
 * would send the invalidations to a stranger); every hit is checked against
 * the session's own `expiresAt`. A logout is seen by the very next request
 * because auth answers it only once every replica has confirmed the
 * revocation barrier that follows its invalidation on the subscriber
 * connection, or once the lease of a replica that stays silent has lapsed
 * (`REVOCATION_BARRIER_CHANNEL`); a hit costs no Redis command. Whenever any
 * of that is in doubt the session is read from Redis, and a Redis failure is
 * a 503, never a pass.
 */
export class SessionReader {
  readonly #cache: LRUCache<string, SessionRecord> | undefined;
  readonly #inflight = new Map<string, { readers: number; version: number }>();
  readonly #channel: InvalidationChannel | undefined;
  readonly #now: () => number;
  #tracking = false;
  #epoch = 0;

  constructor(private readonly options: SessionReaderOptions) {
    this.#now = options.now ?? Date.now;
    if (options.idleTimeoutSeconds > 0) {
      // Not auth's `ghTouchSession`: that one takes a deadline first; one name, one argument list.
      options.writer.defineCommand('ghTouchSessionNoDeadline', {
        numberOfKeys: 1,
        lua: `${TOUCH_SESSION_LUA}\nreturn touch(KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]))`,
      });
    }
    if (options.cacheSize === 0) return;
    this.#cache = new LRUCache({ max: options.cacheSize });
    this.#channel = new InvalidationChannel(
      options.subscriber,
      {
        onInvalidate: (keys) => this.#invalidate(keys),
        onBarrier: (nonce) => this.#confirm(nonce),
        onSubscribed: (id) => void this.#enableTracking(id),
        onLost: () => this.#disable('invalidation connection lost'),
      },
      options.logger,
      options.heartbeatMs,
    );
    options.reader.on('close', () => this.#disable('reader connection lost'));
    options.reader.on('ready', () => {
      const id = this.#channel?.clientId;
      if (id !== undefined) void this.#enableTracking(id);
    });
  }

  /** Whether hits may currently be served from the local cache. */
  get isCaching(): boolean {
    return this.#tracking && this.#now() - (this.#channel?.aliveAt ?? 0) < this.options.leaseMs;
  }

  /**
   * The session, or `null` when it does not exist (logged out, revoked, expired).
   * `budgetMs` is what is left of the request's one Redis deadline
   * (`REDIS_COMMAND_TIMEOUT_MS` from its arrival): the Redis read never takes
   * longer, then it is a 503.
   */
  async get(sessionId: string, budgetMs = Number.POSITIVE_INFINITY): Promise<SessionRecord | null> {
    const deadline = this.#now() + budgetMs;
    const caching = this.#tracking && this.#leaseHolds();
    // A logout answers only once this replica has confirmed its barrier (or its lease has lapsed), and
    // the invalidation arrives before the barrier: a session revoked before the request was sent is gone.
    const hit = caching ? this.#cache?.get(sessionId) : undefined;
    if (hit !== undefined) return hit.expiresAtMs > this.#now() ? this.#used(sessionId, hit) : null;
    const epoch = this.#epoch;
    const inflight = this.#inflight.get(sessionId) ?? { readers: 0, version: 0 };
    this.#inflight.set(sessionId, inflight);
    inflight.readers += 1;
    const version = inflight.version;
    let values: (string | null)[];
    try {
      values = await this.#withinDeadline(
        this.options.reader.hmget(sessionKey(sessionId), ...SESSION_FIELDS),
        deadline,
      );
    } catch (err) {
      throw unavailable('The session store', err);
    } finally {
      inflight.readers -= 1;
      if (inflight.readers === 0) this.#inflight.delete(sessionId);
    }
    const record = toSessionRecord(values);
    if (record === null || record.expiresAtMs <= this.#now()) return null;
    // Cache only what was read under tracking with no invalidation or flush racing the reply.
    if (caching && this.#tracking && epoch === this.#epoch && inflight.version === version) {
      this.#cache?.set(sessionId, record);
    }
    return this.#used(sessionId, record);
  }

  /** Stops the heartbeat; the connections are closed by their owner. */
  close(): void {
    this.#channel?.close();
    this.#disable('closing');
  }

  /**
   * The idle timeout: a session unused for longer is refused; a used one has
   * its stamp rewritten at most once per interval, and the local copy moves on
   * at once so this replica does not write again before the invalidation.
   */
  #used(sessionId: string, record: SessionRecord): SessionRecord | null {
    const timeout = this.options.idleTimeoutSeconds;
    if (timeout <= 0) return record;
    const now = Math.floor(this.#now() / 1000);
    if (isIdle(record.lastSeenAt, timeout, now)) return null;
    const interval = touchIntervalSeconds(timeout);
    if (now - record.lastSeenAt >= interval) {
      record.lastSeenAt = now;
      (this.options.writer as Toucher)
        .ghTouchSessionNoDeadline(sessionKey(sessionId), SESSION_LAST_SEEN_FIELD, now, interval)
        .catch((err: unknown) => this.options.logger.warn({ err }, "cannot refresh a session's last-use stamp"));
    }
    return record;
  }

  /** The read, cut at the request's deadline when that comes before the connection's own command timeout. */
  #withinDeadline<T>(read: Promise<T>, deadline: number): Promise<T> {
    const left = deadline - this.#now();
    if (left >= (this.options.reader.options.commandTimeout ?? Number.POSITIVE_INFINITY)) return read;
    if (left <= 0) {
      read.catch(() => undefined);
      return Promise.reject(new Error("the request's Redis deadline has passed"));
    }
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error("the request's Redis deadline has passed")), left);
    });
    read.catch(() => undefined);
    return Promise.race([read, expired]).finally(() => clearTimeout(timer));
  }

  #leaseHolds(): boolean {
    if (this.#now() - (this.#channel?.aliveAt ?? 0) < this.options.leaseMs) return true;
    if (this.#cache !== undefined && this.#cache.size > 0) this.#flush();
    return false;
  }

  #invalidate(keys: string[] | null): void {
    if (keys === null) {
      this.#flush();
      return;
    }
    for (const key of keys) {
      const sessionId = sessionIdOfKey(key);
      if (sessionId === undefined) continue;
      this.#cache?.delete(sessionId);
      const inflight = this.#inflight.get(sessionId);
      if (inflight !== undefined) inflight.version += 1;
    }
  }

  /** Tells the revoker this replica has applied every invalidation sent before its barrier. */
  #confirm(nonce: string): void {
    this.options.writer
      .publish(REVOCATION_ACK_CHANNEL, nonce)
      .catch((err: unknown) => this.options.logger.warn({ err }, 'cannot confirm a revocation barrier'));
  }

  #flush(): void {
    this.#epoch += 1;
    this.#cache?.clear();
  }

  #disable(reason: string): void {
    if (this.#tracking) this.options.logger.warn({ reason }, 'session cache off; reading every session from redis');
    this.#tracking = false;
    this.#flush();
  }

  async #enableTracking(subscriberId: number): Promise<void> {
    this.#disable('re-establishing tracking');
    if (this.options.reader.status !== 'ready') return;
    const epoch = this.#epoch;
    try {
      const serverId = await serverRunId(this.options.reader);
      if (serverId !== this.#channel?.serverId) {
        this.options.logger.warn('session connections are on different redis servers; not caching until they meet');
        return;
      }
      await this.options.reader.call('CLIENT', 'TRACKING', 'OFF');
      await this.options.reader.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(subscriberId));
    } catch (err) {
      this.options.logger.warn({ err }, 'redis client tracking unavailable; reading every session from redis');
      return;
    }
    if (epoch !== this.#epoch || this.#channel?.clientId !== subscriberId) return;
    this.#tracking = true;
    this.options.logger.info({ subscriberId }, 'session cache on (redis client tracking)');
  }
}
