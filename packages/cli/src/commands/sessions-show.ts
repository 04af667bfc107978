import { duration, isoSeconds } from '../output.js';
import type { RunCommand } from './command.js';
import { sessionJson, showSession } from './session-rows.js';

/** `gatehouse sessions show <sid> [--json]` */
export const run: RunCommand = async ({ positionals: [sid = ''], values }, ctx, out) => {
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
};
