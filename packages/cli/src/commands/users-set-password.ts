import { setPassword } from '@gatehouse/auth';
import { readNewPassword } from '../password.js';
import type { RunCommand } from './command.js';
import { userOperation } from './user-errors.js';

/** `gatehouse users set-password <username>` */
export const run: RunCommand = async ({ positionals: [username = ''] }, ctx, out) => {
  const password = await readNewPassword(username);
  const [{ pool }, redis] = await Promise.all([ctx.database(), ctx.redis()]);
  const { user, revoked } = await userOperation(() =>
    setPassword({ pool, redis }, username, password, { source: 'cli' }),
  );
  out(`Password of ${user.username} changed; ended ${revoked} session(s).`);
};
