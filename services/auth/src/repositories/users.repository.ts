import { canonicalUsername } from '@gatehouse/contracts';
import type { Pool } from '@gatehouse/runtime';
import { type FactorRow, type FactorSummary, factorColumns, toFactorSummary } from './mfa.repository.js';

/** A row of the `users` table. */
export interface UserRecord {
  id: string;
  username: string;
  passwordHash: string;
  roles: string[];
  disabled: boolean;
  createdAt: Date;
}

interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  roles: string[];
  disabled: boolean;
  created_at: Date;
}

const COLUMNS = 'id, username, password_hash, roles, disabled, created_at';

function toRecord(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    roles: row.roles,
    disabled: row.disabled,
    createdAt: row.created_at,
  };
}

/**
 * Finds a user by any spelling of its name: the column holds only canonical
 * names (see `canonicalUsername`), so PostgreSQL compares with `=` and never
 * folds case itself.
 */
export async function findUserByUsername(pool: Pool, username: string): Promise<UserRecord | null> {
  const { rows } = await pool.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE username = $1`, [
    canonicalUsername(username),
  ]);
  return rows[0] ? toRecord(rows[0]) : null;
}

/** A user as a login needs it: the row and a summary of its second factors. */
export interface LoginUserRecord extends UserRecord {
  factors: FactorSummary;
}

/**
 * Finds a user by any spelling of its name, with its second factors counted
 * in the same statement: a login's one round trip to PostgreSQL (a second
 * statement for the factors cost PostgreSQL and auth's main thread CPU on
 * every login, docs/performance.md#login). The factors are used only once
 * the password has matched.
 */
export async function findLoginUser(pool: Pool, username: string): Promise<LoginUserRecord | null> {
  const { rows } = await pool.query<UserRow & FactorRow>(
    `SELECT ${COLUMNS}, ${factorColumns('u.id')} FROM users u WHERE username = $1`,
    [canonicalUsername(username)],
  );
  const row = rows[0];
  return row ? { ...toRecord(row), factors: toFactorSummary(row) } : null;
}

/** Inserts a user under an already canonical name; returns null when the name is taken. */
export async function insertUser(
  pool: Pool,
  user: { username: string; passwordHash: string; roles: string[] },
): Promise<UserRecord | null> {
  const { rows } = await pool.query<UserRow>(
    `INSERT INTO users (username, password_hash, roles) VALUES ($1, $2, $3)
     ON CONFLICT (username) DO NOTHING RETURNING ${COLUMNS}`,
    [user.username, user.passwordHash, user.roles],
  );
  return rows[0] ? toRecord(rows[0]) : null;
}

/** Sets the disabled flag; returns the user, or null when there is none of that name. */
export async function updateDisabled(pool: Pool, username: string, disabled: boolean): Promise<UserRecord | null> {
  const { rows } = await pool.query<UserRow>(
    `UPDATE users SET disabled = $2, updated_at = now() WHERE username = $1 RETURNING ${COLUMNS}`,
    [canonicalUsername(username), disabled],
  );
  return rows[0] ? toRecord(rows[0]) : null;
}

/** Replaces the password hash; returns the user, or null when there is none of that name. */
export async function updatePasswordHash(
  pool: Pool,
  username: string,
  passwordHash: string,
): Promise<UserRecord | null> {
  const { rows } = await pool.query<UserRow>(
    `UPDATE users SET password_hash = $2, updated_at = now() WHERE username = $1 RETURNING ${COLUMNS}`,
    [canonicalUsername(username), passwordHash],
  );
  return rows[0] ? toRecord(rows[0]) : null;
}
