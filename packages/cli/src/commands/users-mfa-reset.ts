import { resetUserFactors } from '@gatehouse/auth';
import { operatorName } from '../operator.js';
import type { RunCommand } from './command.js';
import { userOperation } from './user-errors.js';

/** `gatehouse users mfa reset <username>` */
export const run: RunCommand = async ({ positionals: [username = ''] }, ctx, out) => {
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
};
