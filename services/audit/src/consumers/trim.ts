import type { Redis } from '@gatehouse/runtime';

function compareIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split('-').map(BigInt);
  const [bm = 0n, bs = 0n] = b.split('-').map(BigInt);
  if (am !== bm) return am < bm ? -1 : 1;
  return as === bs ? 0 : as < bs ? -1 : 1;
}

function groupField(groups: unknown[], group: string, field: string): string | null {
  for (const g of groups as string[][]) {
    const map = new Map<string, string>();
    for (let i = 0; i + 1 < g.length; i += 2) map.set(String(g[i]), String(g[i + 1]));
    if (map.get('name') === group) return map.get(field) ?? null;
  }
  return null;
}

/**
 * The lowest stream id the group may still need: its smallest pending id, or
 * its last-delivered id when nothing is pending. Read atomically (MULTI) so
 * an entry delivered between the two reads cannot slip below the bound.
 */
async function safeMinId(redis: Redis, stream: string, group: string): Promise<string | null> {
  const replies = await redis.multi().xinfo('GROUPS', stream).xpending(stream, group).exec();
  if (!replies) return null;
  for (const [err] of replies) if (err) throw err;
  const lastDelivered = groupField(replies[0]?.[1] as unknown[], group, 'last-delivered-id');
  if (!lastDelivered || lastDelivered === '0-0') return null;
  const [pendingCount, smallest] = (replies[1]?.[1] ?? [0, null]) as [number, string | null];
  if (Number(pendingCount) > 0 && smallest && compareIds(smallest, lastDelivered) < 0) return smallest;
  return lastDelivered;
}

/**
 * `XTRIM MINID` below what the group has stored and acknowledged: nothing
 * unread or unacknowledged is ever trimmed.
 *
 * @returns the number of entries removed
 */
export async function trimAcknowledged(redis: Redis, stream: string, group: string): Promise<number> {
  const minId = await safeMinId(redis, stream, group);
  if (!minId) return 0;
  return Number(await redis.xtrim(stream, 'MINID', minId));
}
