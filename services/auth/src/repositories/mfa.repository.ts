import type { Pool } from '@gatehouse/runtime';

/** A user's TOTP row: the sealed secret and whether it was confirmed. */
export interface TotpRecord {
  secretSealed: string;
  confirmed: boolean;
}

/** Reads a user's TOTP secret (pending or confirmed); null when there is none. */
export async function findTotp(pool: Pool, userId: string): Promise<TotpRecord | null> {
  const { rows } = await pool.query<{ secret_sealed: string; confirmed: boolean }>(
    'SELECT secret_sealed, confirmed_at IS NOT NULL AS confirmed FROM mfa_totp WHERE user_id = $1',
    [userId],
  );
  return rows[0] ? { secretSealed: rows[0].secret_sealed, confirmed: rows[0].confirmed } : null;
}

/** Stores a new pending secret, replacing a pending one; returns false when a confirmed secret exists. */
export async function upsertPendingTotp(pool: Pool, userId: string, secretSealed: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    `INSERT INTO mfa_totp (user_id, secret_sealed) VALUES ($1, $2)
     ON CONFLICT (user_id) DO UPDATE SET secret_sealed = $2, created_at = now() WHERE mfa_totp.confirmed_at IS NULL`,
    [userId, secretSealed],
  );
  return rowCount === 1;
}

/** Marks the pending secret confirmed; false when there was none pending. */
export async function confirmTotp(pool: Pool, userId: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    'UPDATE mfa_totp SET confirmed_at = now() WHERE user_id = $1 AND confirmed_at IS NULL',
    [userId],
  );
  return rowCount === 1;
}

/** Deletes the TOTP secret; true when one was confirmed. */
export async function deleteTotp(pool: Pool, userId: string): Promise<boolean> {
  const { rows } = await pool.query<{ confirmed: boolean }>(
    'DELETE FROM mfa_totp WHERE user_id = $1 RETURNING confirmed_at IS NOT NULL AS confirmed',
    [userId],
  );
  return rows[0]?.confirmed ?? false;
}

/** Replaces every recovery code of a user with the given hashes, in one statement. */
export async function replaceRecoveryCodes(pool: Pool, userId: string, hashes: string[]): Promise<void> {
  await pool.query(
    `WITH gone AS (DELETE FROM mfa_recovery_codes WHERE user_id = $1)
     INSERT INTO mfa_recovery_codes (user_id, code_hash) SELECT $1, unnest($2::text[])`,
    [userId, hashes],
  );
}

/** Marks one unused recovery code used; true only for the one call that used it. */
export async function useRecoveryCode(pool: Pool, userId: string, hash: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    'UPDATE mfa_recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL',
    [userId, hash],
  );
  return rowCount === 1;
}

/** Deletes every recovery code of a user. */
export async function deleteRecoveryCodes(pool: Pool, userId: string): Promise<void> {
  await pool.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [userId]);
}

/** A user's factors at a glance: confirmed TOTP, passkey count, unused recovery codes. */
export interface FactorSummary {
  totp: boolean;
  passkeys: number;
  recoveryCodesRemaining: number;
}

/** The columns of a {@link FactorSummary} for the user whose id is the SQL expression `userId`. */
export function factorColumns(userId: string): string {
  return `EXISTS (SELECT 1 FROM mfa_totp t WHERE t.user_id = ${userId} AND t.confirmed_at IS NOT NULL) AS totp,
       (SELECT count(*)::int FROM mfa_passkeys p WHERE p.user_id = ${userId}) AS passkeys,
       (SELECT count(*)::int FROM mfa_recovery_codes r WHERE r.user_id = ${userId} AND r.used_at IS NULL) AS recovery`;
}

/** A row with {@link factorColumns}. */
export interface FactorRow {
  totp: boolean;
  passkeys: number;
  recovery: number;
}

/** The {@link FactorSummary} of a row with {@link factorColumns}. */
export function toFactorSummary(row: FactorRow | undefined): FactorSummary {
  return { totp: row?.totp ?? false, passkeys: row?.passkeys ?? 0, recoveryCodesRemaining: row?.recovery ?? 0 };
}

/** One query for what {@link FactorSummary} says. */
export async function summariseFactors(pool: Pool, userId: string): Promise<FactorSummary> {
  const { rows } = await pool.query<FactorRow>(`SELECT ${factorColumns('$1')}`, [userId]);
  return toFactorSummary(rows[0]);
}

/** A registered passkey as listed to its owner. */
export interface PasskeyRow {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** The passkeys of a user, oldest first. */
export async function listPasskeys(pool: Pool, userId: string): Promise<PasskeyRow[]> {
  const { rows } = await pool.query<{ id: string; name: string; created_at: Date; last_used_at: Date | null }>(
    'SELECT id, name, created_at, last_used_at FROM mfa_passkeys WHERE user_id = $1 ORDER BY created_at, id',
    [userId],
  );
  return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, lastUsedAt: r.last_used_at }));
}

/** Deletes every factor of a user (TOTP, passkeys, recovery codes); returns what there was. */
export async function deleteAllFactors(pool: Pool, userId: string): Promise<FactorSummary> {
  const { rows } = await pool.query<{ totp: number; passkeys: number; recovery: number }>(
    `WITH t AS (DELETE FROM mfa_totp WHERE user_id = $1 RETURNING confirmed_at),
          p AS (DELETE FROM mfa_passkeys WHERE user_id = $1 RETURNING 1),
          r AS (DELETE FROM mfa_recovery_codes WHERE user_id = $1 RETURNING used_at)
     SELECT (SELECT count(*)::int FROM t WHERE confirmed_at IS NOT NULL) AS totp, (SELECT count(*)::int FROM p) AS passkeys,
       (SELECT count(*)::int FROM r WHERE used_at IS NULL) AS recovery`,
    [userId],
  );
  const row = rows[0];
  return { totp: (row?.totp ?? 0) > 0, passkeys: row?.passkeys ?? 0, recoveryCodesRemaining: row?.recovery ?? 0 };
}

/** A stored passkey credential, as WebAuthn verification needs it. */
export interface PasskeyCredential {
  id: string;
  publicKey: Uint8Array<ArrayBuffer>;
  counter: number;
  transports: string[];
}

/** The credentials of a user (for allow and exclude lists), or one of them by id. */
export async function findPasskeys(pool: Pool, userId: string, id?: string): Promise<PasskeyCredential[]> {
  const { rows } = await pool.query<{ id: string; public_key: Buffer; counter: string; transports: string[] }>(
    `SELECT id, public_key, counter, transports FROM mfa_passkeys WHERE user_id = $1 AND ($2::text IS NULL OR id = $2)`,
    [userId, id ?? null],
  );
  return rows.map((r) => ({
    id: r.id,
    publicKey: new Uint8Array(r.public_key),
    counter: Number(r.counter),
    transports: r.transports,
  }));
}

/** Stores a new passkey; false when the credential id is registered already. */
export async function insertPasskey(
  pool: Pool,
  userId: string,
  p: PasskeyCredential & { name: string; deviceType: string; backedUp: boolean },
): Promise<boolean> {
  const { rowCount } = await pool.query(
    `INSERT INTO mfa_passkeys (id, user_id, name, public_key, counter, transports, device_type, backed_up)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
    [p.id, userId, p.name, Buffer.from(p.publicKey), p.counter, p.transports, p.deviceType, p.backedUp],
  );
  return rowCount === 1;
}

/**
 * Records a use: the new signature counter, only forward (a concurrent use
 * with the same counter loses), and the time. False when the counter did not move on.
 */
export async function recordPasskeyUse(pool: Pool, userId: string, id: string, counter: number): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE mfa_passkeys SET counter = $3, last_used_at = now()
     WHERE user_id = $1 AND id = $2 AND (counter < $3 OR (counter = 0 AND $3 = 0))`,
    [userId, id, counter],
  );
  return rowCount === 1;
}

/** Renames a passkey of the user; false when there is none with that id. */
export async function renamePasskey(pool: Pool, userId: string, id: string, name: string): Promise<boolean> {
  const { rowCount } = await pool.query('UPDATE mfa_passkeys SET name = $3 WHERE user_id = $1 AND id = $2', [
    userId,
    id,
    name,
  ]);
  return rowCount === 1;
}

/** Deletes a passkey of the user; false when there is none with that id. */
export async function deletePasskey(pool: Pool, userId: string, id: string): Promise<boolean> {
  const { rowCount } = await pool.query('DELETE FROM mfa_passkeys WHERE user_id = $1 AND id = $2', [userId, id]);
  return rowCount === 1;
}
