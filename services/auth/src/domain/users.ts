import { canonicalUsername, isCanonicalUsername } from '@gatehouse/contracts';
import type { Pool } from '@gatehouse/runtime';
import type { RedisContext } from '../redis/context.js';
import { insertUser, type UserRecord, updateDisabled, updatePasswordHash } from '../repositories/users.repository.js';
import { hashPassword } from './passwords.js';
import { revokeAllSessions } from './sessions.js';

/** Roles: 1–32 of lowercase letters, digits and `_:-` (never a comma: roles are stored comma-joined). */
const ROLE_PATTERN = /^[a-z0-9_:-]{1,32}$/;
/** Password length bounds (the login body accepts at most 1024 characters). */
const PASSWORD_LENGTH = { min: 8, max: 1024 } as const;

/** Why a user operation was refused. */
export type UserErrorCode = 'user_exists' | 'user_not_found' | 'invalid_input';

/** A refused user operation, with a message fit for a person at a terminal. */
export class UserError extends Error {
  readonly code: UserErrorCode;
  constructor(code: UserErrorCode, message: string) {
    super(message);
    this.name = 'UserError';
    this.code = code;
  }
}

function checkPassword(password: string): void {
  if (password.length < PASSWORD_LENGTH.min || password.length > PASSWORD_LENGTH.max) {
    throw new UserError(
      'invalid_input',
      `The password must be ${PASSWORD_LENGTH.min} to ${PASSWORD_LENGTH.max} characters long.`,
    );
  }
}

function checkNewUser(username: string, roles: string[]): void {
  if (!isCanonicalUsername(username)) {
    throw new UserError(
      'invalid_input',
      `Invalid username ${JSON.stringify(username)}: use 1-64 of A-Z a-z 0-9 . _ @ - (stored lowercase)`,
    );
  }
  const bad = roles.find((r) => !ROLE_PATTERN.test(r));
  if (bad !== undefined) throw new UserError('invalid_input', `Invalid role "${bad}": use 1-32 of a-z 0-9 _ : -`);
  if (roles.join(',').length > 64)
    throw new UserError('invalid_input', 'Too many roles: at most 64 characters joined.');
}

/**
 * Creates a user with an argon2id password hash, under the canonical form of
 * its name (`canonicalUsername`: `Alice` and `ａｌｉｃｅ` are both `alice`).
 *
 * @throws {UserError} `user_exists` when the canonical name is taken, `invalid_input` for a bad name, role or password
 */
export async function createUser(
  deps: { pool: Pool },
  input: { username: string; password: string; roles?: string[] },
): Promise<UserRecord> {
  const roles = [...new Set(input.roles ?? [])];
  const username = canonicalUsername(input.username);
  checkNewUser(username, roles);
  checkPassword(input.password);
  const passwordHash = await hashPassword(input.password);
  const user = await insertUser(deps.pool, { username, passwordHash, roles });
  if (!user) throw new UserError('user_exists', `User "${username}" already exists.`);
  return user;
}

/**
 * Disables a user and revokes all of its sessions, publishing
 * `auth.sessions.revoked` (reason `user_disabled`). Running it again is harmless.
 *
 * @returns the user and the number of sessions revoked
 */
export async function disableUser(
  deps: { pool: Pool; redis: RedisContext },
  username: string,
  options: { source?: string } = {},
): Promise<{ user: UserRecord; revoked: number }> {
  const user = await updateDisabled(deps.pool, username, true);
  if (!user) throw new UserError('user_not_found', `No user "${username}".`);
  const revoked = await revokeAllSessions(deps.redis, user, { reason: 'user_disabled', source: options.source });
  return { user, revoked };
}

/**
 * Replaces a user's password. With `redis`, every session of the user is
 * revoked too (reason `admin_revoked`), so a stolen session ends with the old password.
 */
export async function setPassword(
  deps: { pool: Pool; redis?: RedisContext },
  username: string,
  password: string,
  options: { source?: string } = {},
): Promise<{ user: UserRecord; revoked: number }> {
  checkPassword(password);
  const user = await updatePasswordHash(deps.pool, username, await hashPassword(password));
  if (!user) throw new UserError('user_not_found', `No user "${username}".`);
  if (!deps.redis) return { user, revoked: 0 };
  const revoked = await revokeAllSessions(deps.redis, user, { reason: 'admin_revoked', source: options.source });
  return { user, revoked };
}
