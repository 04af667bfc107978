import { ADMIN_REVOKED, revokeAllSessions, revokeSession } from '@gatehouse/auth';
import { CliError, EXIT } from '../errors.js';
import { operatorName } from '../operator.js';
import type { RunCommand } from './command.js';
import { resolveUserId, showSession, userSessions } from './session-rows.js';

/** `gatehouse sessions revoke <sid> | --user <id|username>` */
export const run: RunCommand = async ({ positionals: [sid], values }, ctx, out) => {
  const user = values.user as string | undefined;
  if ((sid === undefined) === (user === undefined)) {
    throw new CliError('Give either a session id or --user, not both.', EXIT.usage);
  }
  const redis = await ctx.redis();
  const revocation = {
    reason: ADMIN_REVOKED,
    actor: { userId: null, username: operatorName(), sessionId: null },
    source: 'cli',
  };
  if (sid !== undefined) {
    const session = await showSession(ctx, sid);
    const revoked = await revokeSession(redis, session, revocation);
    if (values.json) return out(JSON.stringify({ revoked, sessionId: sid, userId: session.userId }));
    return out(revoked ? `Revoked session ${sid} of ${session.username}.` : `Session ${sid} had already ended.`);
  }
  const userId = await resolveUserId(ctx, user as string);
  const username = (await userSessions(ctx, userId))[0]?.username ?? (user === userId ? null : (user as string));
  const revoked = await revokeAllSessions(redis, { id: userId, username }, revocation);
  if (values.json) return out(JSON.stringify({ revoked, userId }));
  out(`Revoked ${revoked} session(s) of user ${userId}.`);
};
