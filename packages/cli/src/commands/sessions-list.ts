import { createProgress } from '../progress.js';
import type { RunCommand } from './command.js';
import { resolveUserId, scanSessions, sessionJson, sessionTable, userSessions } from './session-rows.js';

/** `gatehouse sessions list [--user <id|username>] [--json]` */
export const run: RunCommand = async ({ values }, ctx, out) => {
  const user = values.user as string | undefined;
  const rows =
    user === undefined
      ? await scanSessions(ctx, createProgress())
      : await userSessions(ctx, await resolveUserId(ctx, user));
  if (values.json) return out(JSON.stringify(rows.map(sessionJson)));
  if (rows.length === 0) return out('No live sessions.');
  for (const line of sessionTable(rows)) out(line);
  out(`${rows.length} session(s).`);
};
