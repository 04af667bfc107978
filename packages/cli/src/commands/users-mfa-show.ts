import { showUserFactors } from '@gatehouse/auth';
import { isoSeconds } from '../output.js';
import type { RunCommand } from './command.js';
import { userOperation } from './user-errors.js';

/** `gatehouse users mfa show <username> [--json]` */
export const run: RunCommand = async ({ positionals: [username = ''], values }, ctx, out) => {
  const { pool } = await ctx.database();
  const { user, factors } = await userOperation(() => showUserFactors({ pool }, username));
  if (values.json) return out(JSON.stringify({ userId: user.id, username: user.username, ...factors }));
  out(`user            ${user.username} (${user.id})`);
  out(`totp            ${factors.totp ? 'enrolled' : 'no'}`);
  out(`recovery codes  ${factors.recoveryCodesRemaining} left`);
  out(`passkeys        ${factors.passkeys.length}`);
  for (const p of factors.passkeys) {
    const used = p.lastUsedAt ? isoSeconds(Date.parse(p.lastUsedAt) / 1000) : 'never';
    out(`  ${p.name}  added ${isoSeconds(Date.parse(p.createdAt) / 1000)}, last used ${used}`);
  }
};
