import { disableUser } from '@gatehouse/auth';
import type { RunCommand } from './command.js';
import { userOperation } from './user-errors.js';

/** `gatehouse users disable <username>` */
export const run: RunCommand = async ({ positionals: [username = ''] }, ctx, out) => {
  const [{ pool }, redis] = await Promise.all([ctx.database(), ctx.redis()]);
  const { user, revoked } = await userOperation(() => disableUser({ pool, redis }, username, { source: 'cli' }));
  out(`Disabled ${user.username}; ended ${revoked} session(s).`);
};
