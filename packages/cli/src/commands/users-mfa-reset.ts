import { resetUserFactors } from '@gatehouse/auth';
import { operatorName } from '../operator.js';
import type { Command } from './command.js';
import { userOperation } from './user-errors.js';

/** `gatehouse users mfa reset <username>` */
export const usersMfaReset: Command = {
  path: ['users', 'mfa', 'reset'],
  usage: 'users mfa reset <username>',
  summary: 'Delete every second factor of a user (published as auth.mfa.removed with the operator as actor).',
  positionals: 1,
  async run({ positionals: [username = ''] }, ctx, out) {
    const [{ pool }, redis] = await Promise.all([ctx.database(), ctx.redis()]);
    const actor = { userId: null, username: operatorName() };
    const { user, removed } = await userOperation(() =>
      resetUserFactors({ pool, redis }, username, actor, { source: 'cli' }),
    );
    const what = [
      removed.totp ? 'TOTP' : null,
      `${removed.passkeys} passkey(s)`,
      `${removed.recoveryCodesRemaining} recovery code(s)`,
    ];
    out(`Reset ${user.username}: removed ${what.filter((w) => w !== null).join(', ')}.`);
  },
};
