import type { Pool } from '@gatehouse/runtime';

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

/** Finds a user by name, case-insensitively (served by the unique index on `lower(username)`). */
export async function findUserByUsername(pool: Pool, username: string): Promise<UserRecord | null> {
  const { rows } = await pool.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE lower(username) = lower($1)`, [
    username,
  ]);
  return rows[0] ? toRecord(rows[0]) : null;
}

/** Inserts a user; returns null when the name is taken (in any letter case). */
export async function insertUser(
  pool: Pool,
  user: { username: string; passwordHash: string; roles: string[] },
): Promise<UserRecord | null> {
  const { rows } = await pool.query<UserRow>(
    `INSERT INTO users (username, password_hash, roles) VALUES ($1, $2, $3)
     ON CONFLICT ((lower(username))) DO NOTHING RETURNING ${COLUMNS}`,
    [user.username, user.passwordHash, user.roles],
  );
  return rows[0] ? toRecord(rows[0]) : null;
}

/** Sets the disabled flag; returns the user, or null when there is none of that name. */
export async function updateDisabled(pool: Pool, username: string, disabled: boolean): Promise<UserRecord | null> {
  const { rows } = await pool.query<UserRow>(
    `UPDATE users SET disabled = $2, updated_at = now() WHERE lower(username) = lower($1) RETURNING ${COLUMNS}`,
    [username, disabled],
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
    `UPDATE users SET password_hash = $2, updated_at = now() WHERE lower(username) = lower($1) RETURNING ${COLUMNS}`,
    [username, passwordHash],
  );
  return rows[0] ? toRecord(rows[0]) : null;
}
