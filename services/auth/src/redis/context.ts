import { GatehouseError, SESSION_CACHE_LEASE_MS_DEFAULT } from '@gatehouse/contracts';
import type { Logger, Redis } from '@gatehouse/runtime';
import { RedisClock } from './clock.js';
import { RevocationBarrier } from './revocation-barrier.js';
import { defineScripts, type ScriptName } from './scripts.js';

/** What every Redis-using auth function needs: the client, its scripts and a deadline source. */
export interface RedisContext {
  redis: Redis;
  /** Runs one script with a deadline; `null` means Redis refused it as too late. */
  run(name: ScriptName, keys: string[], args: (string | number)[]): Promise<unknown>;
  clock: RedisClock;
  /**
   * With `REDIS_WAIT_REPLICAS` > 0, resolves once that many replicas hold every
   * write this connection made so far, else throws 503; at once with 0.
   */
  confirm(): Promise<void>;
}

/** The scripts that create or end sessions: with replicas to wait for, they answer only once replicated. */
const SESSION_WRITES: ReadonlySet<ScriptName> = new Set(['ghCreateSession', 'ghRevokeSession', 'ghRevokeAll']);
/** The scripts that end sessions: they answer only once every gateway's cache has let go ({@link RevocationBarrier}). */
const REVOCATIONS: ReadonlySet<ScriptName> = new Set(['ghRevokeSession', 'ghRevokeAll']);

/** Options of {@link createRedisContext}. */
export interface RedisContextOptions {
  /** `REDIS_COMMAND_TIMEOUT_MS`: scripts get half of it as their deadline. */
  commandTimeoutMs: number;
  /** `REDIS_WAIT_REPLICAS`; 0 by default. */
  waitReplicas?: number;
  /** A subscriber connection that hears gateways confirm revocations; without it a revocation waits out the lease. */
  subscriber?: Redis;
  /** `SESSION_CACHE_LEASE_MS`, the gateways' cache lease. */
  leaseMs?: number;
  logger?: Logger;
}

/**
 * Wraps a command client for the auth functions. Script deadlines are half the
 * client's command timeout away: a script that runs later than that (Redis
 * was stalled) does nothing, and one that runs in time answers well before
 * the client gives up on it.
 *
 * With `waitReplicas` > 0 (`REDIS_WAIT_REPLICAS`), a session write is followed
 * by `WAIT waitReplicas <half the command timeout>` on the same connection,
 * and fails with 503 when fewer replicas confirm: Redis replication is
 * asynchronous, and a login or logout answered 200 must survive a failover to
 * a replica. The write itself is not undone here; the callers' retries are
 * idempotent (a logout retried removes nothing twice, publishes nothing twice).
 *
 * A revocation then waits for the gateways' caches ({@link RevocationBarrier}).
 */
export function createRedisContext(redis: Redis, options: RedisContextOptions): RedisContext {
  const { commandTimeoutMs, waitReplicas = 0 } = options;
  const revocations = new RevocationBarrier(
    redis,
    options.subscriber,
    options.leaseMs ?? SESSION_CACHE_LEASE_MS_DEFAULT,
    options.logger,
  );
  const clock = new RedisClock().attach(redis);
  const call = defineScripts(redis);
  const budgetMs = Math.floor(commandTimeoutMs / 2);
  const confirm = async () => {
    if (waitReplicas === 0) return;
    // WAIT covers every write this connection made before it, so also a script retried as EVAL.
    const acked = await unavailableOnError(() => redis.wait(waitReplicas, budgetMs));
    if (acked < waitReplicas) {
      throw new GatehouseError('dependency_unavailable', 'No Redis replica confirmed the write in time.');
    }
  };
  return {
    redis,
    clock,
    confirm,
    run: async (name, keys, args) => {
      const result = await unavailableOnError(() => call(name, keys, [clock.deadline(budgetMs), ...args]));
      if (result === null) throw new GatehouseError('dependency_unavailable', 'The session store is too slow.');
      if (SESSION_WRITES.has(name)) await confirm();
      if (REVOCATIONS.has(name)) await revocations.wait();
      return result;
    },
  };
}

/**
 * Runs a Redis or PostgreSQL call and turns connection-level failures
 * (refused, closed, timed out) into 503 `dependency_unavailable`; errors the
 * server itself replied with are bugs and stay 500.
 */
export async function unavailableOnError<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof GatehouseError || !isConnectionError(err)) throw err;
    throw new GatehouseError('dependency_unavailable', 'A backing store is unavailable; try again shortly.', {
      cause: err,
    });
  }
}

const TRANSIENT_REPLY = /^(LOADING|BUSY|OOM|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN)/;

function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error) || err instanceof TypeError || err instanceof RangeError) return false;
  if (err.name === 'ReplyError') return TRANSIENT_REPLY.test(err.message);
  const code = (err as { code?: unknown }).code;
  // A PostgreSQL SQLSTATE outside classes 08 (connection) and 57 (operator intervention) is a real error.
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code.startsWith('08') || code.startsWith('57');
  return true;
}
