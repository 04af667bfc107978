import type { Redis } from '@gatehouse/runtime';
import type { RawEntry } from './stream-entries.js';

/** Where a consumer reads: stream, group and its own name. */
export interface GroupRef {
  stream: string;
  group: string;
  consumer: string;
}

/**
 * Creates the group at the start of the stream (id 0, MKSTREAM), so no
 * entry in the stream is skipped: at first start, and again when Redis lost
 * the group (a restart without persistence, FLUSHALL, a failover to a copy
 * without it). Entries already stored are read again and dropped by the
 * unique event id; entries lost with Redis' data are gone (docs/audit.md).
 *
 * @returns true when this call created it (false: it existed)
 */
export async function ensureGroup(redis: Redis, ref: GroupRef): Promise<boolean> {
  try {
    await redis.xgroup('CREATE', ref.stream, ref.group, '0', 'MKSTREAM');
    return true;
  } catch (err) {
    if (!(err as Error).message.startsWith('BUSYGROUP')) throw err;
    return false;
  }
}

/** Whether Redis answered that the group or its stream does not exist. */
export function isGroupMissing(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOGROUP');
}

type ReadReply = Array<[string, RawEntry[]]> | null;

/** XREADGROUP of new entries (`>`), blocking up to `blockMs`. */
export function readNew(redis: Redis, ref: GroupRef, count: number, blockMs: number): Promise<RawEntry[]> {
  return readGroup(redis, ref, ['COUNT', count, 'BLOCK', blockMs], '>');
}

/** This consumer's own pending entries (delivered before a crash or an outage). */
export function readOwnPending(redis: Redis, ref: GroupRef, count: number): Promise<RawEntry[]> {
  return readGroup(redis, ref, ['COUNT', count], '0');
}

/** XREADGROUP of one stream from `id` (`>`: new entries; `0`: own pending ones), with `options` (COUNT, BLOCK). */
async function readGroup(
  redis: Redis,
  ref: GroupRef,
  options: Array<string | number>,
  id: '>' | '0',
): Promise<RawEntry[]> {
  const args = ['GROUP', ref.group, ref.consumer, ...options, 'STREAMS', ref.stream, id];
  const reply = (await redis.call('XREADGROUP', ...args)) as ReadReply;
  return reply?.[0]?.[1] ?? [];
}

/** One page of XAUTOCLAIM: entries idle longer than `idleMs`, with their delivery counts. */
export async function claimIdle(
  redis: Redis,
  ref: GroupRef,
  options: { idleMs: number; count: number; start: string },
): Promise<{ next: string; entries: RawEntry[]; deliveries: Map<string, number> }> {
  const [next, entries] = (await redis.xautoclaim(
    ref.stream,
    ref.group,
    ref.consumer,
    options.idleMs,
    options.start,
    'COUNT',
    options.count,
  )) as [string, RawEntry[]];
  return { next, entries, deliveries: await pendingDeliveries(redis, ref, entries) };
}

/** The delivery count of each of `entries` in this consumer's pending list. */
export async function pendingDeliveries(
  redis: Redis,
  ref: GroupRef,
  entries: RawEntry[],
): Promise<Map<string, number>> {
  const deliveries = new Map<string, number>();
  const first = entries[0]?.[0];
  const last = entries.at(-1)?.[0];
  if (!first || !last) return deliveries;
  const pending = (await redis.xpending(ref.stream, ref.group, first, last, entries.length, ref.consumer)) as Array<
    [string, string, number, number]
  >;
  for (const [id, , , count] of pending) deliveries.set(id, Number(count));
  return deliveries;
}

const DELETE_IF_IDLE = `
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if #pending > 0 then return -1 end
return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])`;

/**
 * Removes the consumer from the group only when nothing is pending for it
 * (checked and done atomically), so no entry is orphaned.
 *
 * @returns true when it was removed
 */
export async function removeConsumerIfIdle(redis: Redis, ref: GroupRef): Promise<boolean> {
  const result = await redis.eval(DELETE_IF_IDLE, 1, ref.stream, ref.group, ref.consumer);
  return result !== -1;
}
