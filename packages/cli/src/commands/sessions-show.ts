import { duration, isoSeconds } from '../output.js';
import type { Command } from './command.js';
import { sessionJson, showSession } from './session-rows.js';

/** `gatehouse sessions show <sid> [--json]` */
export const sessionsShow: Command = {
  path: ['sessions', 'show'],
  usage: 'sessions show <sid> [--json]',
  summary: 'Show one live session (exit 3 when it does not exist).',
  options: { json: { type: 'boolean' } },
  positionals: 1,
  async run({ positionals: [sid = ''], values }, ctx, out) {
    const s = await showSession(ctx, sid);
    if (values.json) return out(JSON.stringify(sessionJson(s)));
    out(`session     ${s.sessionId}`);
    out(`user        ${s.username} (${s.userId})`);
    out(`roles       ${s.roles || '(none)'}`);
    out(`ip          ${s.ip}`);
    out(`user agent  ${s.ua} (digest)`);
    out(`created     ${isoSeconds(s.createdAt)}`);
    out(`expires     ${isoSeconds(s.expiresAt)} (in ${duration(s.ttlSeconds)})`);
    if (s.lastSeenAt !== undefined) out(`last seen   ${isoSeconds(s.lastSeenAt)}`);
  },
};
