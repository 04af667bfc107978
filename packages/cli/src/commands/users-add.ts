import { createUser } from '@gatehouse/auth';
import { readNewPassword } from '../password.js';
import type { RunCommand } from './command.js';
import { userOperation } from './user-errors.js';

/** `gatehouse users add <username> [--role <role>]...` */
export const run: RunCommand = async ({ positionals: [username = ''], values }, ctx, out) => {
  const roles = (values.role as string[] | undefined) ?? [];
  const password = await readNewPassword(username);
  const { pool } = await ctx.database();
  const user = await userOperation(() => createUser({ pool }, { username, password, roles }));
  out(`Created user ${user.username} (${user.id}) with roles: ${user.roles.join(', ') || '(none)'}`);
};
