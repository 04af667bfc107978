import type { Redis } from 'ioredis';

/** One consumer group of a stream, as XINFO GROUPS and XPENDING report it. */
export interface GroupHealth {
  name: string;
  consumers: number;
  /** Delivered to a consumer but not acknowledged yet. */
  pending: number;
  /** Entries not delivered to the group yet; null when Redis cannot tell (after deletions). */
  lag: number | null;
  lastDeliveredId: string;
  /** Age in seconds of the oldest unacknowledged entry (0 when none). */
  oldestPendingSeconds: number;
}

/** What `XLEN`/`XINFO` say about a stream and its dead-letter stream. */
export interface StreamHealth {
  stream: string;
  length: number;
  lastId: string | null;
  groups: GroupHealth[];
  deadLetters: number;
}

function fieldsOf(reply: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = reply[i + 1];
  return out;
}

const noSuchKey = (err: Error) => {
  if (/no such key/i.test(err.message)) return null;
  throw err;
};

function idAgeSeconds(id: unknown, nowMs: number): number {
  const ms = typeof id === 'string' ? Number(id.split('-')[0]) : Number.NaN;
  return Number.isFinite(ms) ? Math.max(0, (nowMs - ms) / 1000) : 0;
}

/**
 * Reads the health of `stream` with O(1)-ish commands only (XLEN, XINFO
 * STREAM, XINFO GROUPS, XPENDING summary): length, each group's pending
 * count, lag and oldest pending age, and the dead-letter stream's length.
 *
 * @example
 * ```ts
 * const health = await readStreamHealth(redis, 'auth-events', 'auth-events:dead');
 * ```
 */
export async function readStreamHealth(redis: Redis, stream: string, deadStream?: string): Promise<StreamHealth> {
  const [info, groups, deadLetters] = await Promise.all([
    (redis.call('XINFO', 'STREAM', stream) as Promise<unknown[]>).catch(noSuchKey),
    (redis.call('XINFO', 'GROUPS', stream) as Promise<unknown[][]>).catch(noSuchKey),
    deadStream ? redis.xlen(deadStream) : Promise.resolve(0),
  ]);
  const streamInfo = info ? fieldsOf(info) : {};
  const nowMs = Date.now();
  const groupHealth = await Promise.all(
    (groups ?? []).map(async (raw) => {
      const g = fieldsOf(raw);
      const name = String(g.name);
      const pending = Number(g.pending ?? 0);
      const summary = pending > 0 ? ((await redis.xpending(stream, name)) as unknown[]) : [];
      return {
        name,
        consumers: Number(g.consumers ?? 0),
        pending,
        lag: g.lag === null || g.lag === undefined ? null : Number(g.lag),
        lastDeliveredId: String(g['last-delivered-id'] ?? '0-0'),
        oldestPendingSeconds: pending > 0 ? idAgeSeconds(summary[1], nowMs) : 0,
      };
    }),
  );
  return {
    stream,
    length: Number(streamInfo.length ?? 0),
    lastId: info ? String(streamInfo['last-generated-id']) : null,
    groups: groupHealth,
    deadLetters,
  };
}
