import { SESSION_KEY_PREFIX } from '@gatehouse/contracts';
import { countSessions } from '@gatehouse/runtime';
import { bytes } from '../output.js';
import type { RunCommand } from './command.js';

const FIELDS = [
  'used_memory',
  'used_memory_rss',
  'used_memory_peak',
  'maxmemory',
  'maxmemory_policy',
  'mem_fragmentation_ratio',
] as const;

function parseInfo(info: string): Record<string, string> {
  return Object.fromEntries(
    info
      .split(/\r?\n/)
      .filter((l) => l.includes(':'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]),
  );
}

/** `gatehouse redis memory [--samples <n>] [--json]` */
export const run: RunCommand = async ({ values }, ctx, out) => {
  const redis = await ctx.redisClient();
  const samples = Math.max(1, Math.min(10_000, Number(values.samples ?? 200) || 200));
  const info = parseInfo(await redis.info('memory'));
  const summary = Object.fromEntries(FIELDS.map((f) => [f, info[f] ?? null]));
  const { sessions, method, keys } = await countSessions(redis);
  const sampled: number[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${SESSION_KEY_PREFIX}*`, 'COUNT', 1000);
    cursor = next;
    const pipeline = redis.pipeline();
    for (const key of found.slice(0, samples - sampled.length)) pipeline.memory('USAGE', key, 'SAMPLES', 0);
    for (const [, usage] of (await pipeline.exec()) ?? []) if (typeof usage === 'number') sampled.push(usage);
  } while (cursor !== '0' && sampled.length < samples);
  const perSession = sampled.length ? sampled.reduce((a, b) => a + b, 0) / sampled.length : null;
  const report = {
    memory: summary,
    keys,
    sessions,
    sessionsCounted: method,
    bytesPerSession: perSession === null ? null : Math.round(perSession),
    sampledSessions: sampled.length,
    sessionBytesEstimate: perSession === null ? 0 : Math.round(perSession * sessions),
  };
  if (values.json) return out(JSON.stringify(report));
  out(
    `used memory       ${bytes(Number(summary.used_memory))} (rss ${bytes(Number(summary.used_memory_rss))}, peak ${bytes(Number(summary.used_memory_peak))})`,
  );
  const max = Number(summary.maxmemory);
  out(`maxmemory         ${max > 0 ? bytes(max) : 'unlimited'} (policy ${summary.maxmemory_policy})`);
  out(`fragmentation     ${summary.mem_fragmentation_ratio}`);
  out(`keys              ${keys}`);
  out(`sessions          ${sessions}${method === 'sample' ? ' (estimated from random keys)' : ''}`);
  if (perSession === null) return out('bytes per session (no session to sample)');
  out(`bytes per session ${Math.round(perSession)} (MEMORY USAGE of ${sampled.length} session(s))`);
  out(`sessions in total ~${bytes(report.sessionBytesEstimate)}`);
};
