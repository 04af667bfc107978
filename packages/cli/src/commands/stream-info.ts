import { AUTH_EVENTS_DEAD_STREAM, AUTH_EVENTS_STREAM } from '@gatehouse/contracts';
import { readStreamHealth } from '@gatehouse/runtime';
import { duration, table } from '../output.js';
import type { RunCommand } from './command.js';

type ConsumerInfo = { name: string; pending: number; idleSeconds: number };

/** `gatehouse stream info [--json]` */
export const run: RunCommand = async ({ values }, ctx, out) => {
  const redis = await ctx.redisClient();
  const health = await readStreamHealth(redis, AUTH_EVENTS_STREAM, AUTH_EVENTS_DEAD_STREAM);
  const consumers: Record<string, ConsumerInfo[]> = {};
  for (const g of health.groups) {
    const raw = (await redis.call('XINFO', 'CONSUMERS', AUTH_EVENTS_STREAM, g.name)) as unknown[][];
    consumers[g.name] = raw.map((c) => {
      const f = Object.fromEntries(c.flatMap((v, i) => (i % 2 === 0 ? [[String(v), c[i + 1]]] : [])));
      return { name: String(f.name), pending: Number(f.pending), idleSeconds: Number(f.idle) / 1000 };
    });
  }
  if (values.json) {
    const groups = health.groups.map((g) => ({ ...g, consumers: consumers[g.name] ?? [] }));
    return out(JSON.stringify({ ...health, deadStream: AUTH_EVENTS_DEAD_STREAM, groups }));
  }
  out(`stream        ${health.stream}`);
  out(`length        ${health.length}${health.lastId ? ` (last id ${health.lastId})` : ' (does not exist yet)'}`);
  out(`dead letters  ${health.deadLetters} in ${AUTH_EVENTS_DEAD_STREAM}`);
  if (health.groups.length === 0) return out('No consumer group: nothing reads this stream yet.');
  const rows = health.groups.map((g) => [
    g.name,
    g.lag === null ? 'unknown' : String(g.lag),
    String(g.pending),
    g.pending > 0 ? duration(g.oldestPendingSeconds) : '-',
    String(g.consumers),
    g.lastDeliveredId,
  ]);
  out('');
  for (const line of table(['GROUP', 'LAG', 'PENDING', 'OLDEST PENDING', 'CONSUMERS', 'LAST DELIVERED'], rows)) {
    out(line);
  }
  for (const g of health.groups) {
    for (const c of consumers[g.name] ?? []) {
      out(`  ${g.name}/${c.name}: ${c.pending} pending, idle ${duration(c.idleSeconds)}`);
    }
  }
};
