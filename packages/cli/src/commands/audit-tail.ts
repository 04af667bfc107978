import { AUTH_EVENTS_STREAM, EVENT_FIELD, parseAuthEvent } from '@gatehouse/contracts';
import { CliError, EXIT } from '../errors.js';
import type { RunCommand } from './command.js';

function eventLine(id: string, json: string): string {
  const parsed = parseAuthEvent(json);
  if (!parsed.ok) return `${id}  (unreadable entry: ${parsed.reason})`;
  const e = parsed.event;
  const extra = [e.reason && `reason=${e.reason}`, e.sessionId && `session=${e.sessionId}`, e.ip && `ip=${e.ip}`];
  return [e.occurredAt, e.type.padEnd(23), e.username ?? '-', ...extra.filter(Boolean)].join('  ');
}

/** `gatehouse audit tail [--type <type>]... [--count <n>] [--json]` */
export const run: RunCommand = async ({ values }, ctx, out) => {
  const limit = values.count === undefined ? Number.POSITIVE_INFINITY : Number(values.count);
  if (!(limit > 0)) throw new CliError('--count must be a positive number.', EXIT.usage);
  const types = new Set((values.type as string[] | undefined) ?? []);
  // A connection of its own: XREAD BLOCK holds it while waiting.
  const redis = await ctx.blockingRedis();
  let stopping = false;
  const stop = () => {
    stopping = true;
    redis.disconnect();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.stderr.write(`Following ${AUTH_EVENTS_STREAM} from now on (Ctrl-C to stop)…\n`);
  let last = '$';
  let shown = 0;
  try {
    while (!stopping && shown < limit) {
      const reply = await redis
        .xread('COUNT', 100, 'BLOCK', 5000, 'STREAMS', AUTH_EVENTS_STREAM, last)
        .catch((err: Error) => {
          if (stopping) return null;
          throw new CliError(`Lost Redis while following: ${err.message}`);
        });
      for (const [id, fields] of reply?.[0]?.[1] ?? []) {
        last = id;
        const json = fields[fields.indexOf(EVENT_FIELD) + 1] ?? '';
        const type = parseAuthEvent(json);
        if (types.size > 0 && !(type.ok && types.has(type.event.type))) continue;
        out(values.json ? JSON.stringify({ id, event: type.ok ? type.event : null }) : eventLine(id, json));
        if (++shown >= limit) break;
      }
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
};
