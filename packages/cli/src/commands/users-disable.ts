import { disableUser } from '@gatehouse/auth';
import type { Command } from './command.js';
import { userOperation } from './user-errors.js';

/** `gatehouse users disable <username>` */
export const usersDisable: Command = {
  path: ['users', 'disable'],
  usage: 'users disable <username>',
  summary: 'Disable a user and end all of its sessions.',
  positionals: 1,
  async run({ positionals: [username = ''] }, ctx, out) {
    const [{ pool }, redis] = await Promise.all([ctx.database(), ctx.redis()]);
    const { user, revoked } = await userOperation(() => disableUser({ pool, redis }, username, { source: 'cli' }));
    out(`Disabled ${user.username}; ended ${revoked} session(s).`);
  },
};
