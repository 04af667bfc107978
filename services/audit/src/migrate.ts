import { fileURLToPath } from 'node:url';
import { migrate, type Pool } from '@gatehouse/runtime';

/** The folder of the audit service's numbered SQL migrations. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));

/**
 * Applies the audit migrations that have not run yet (safe from several replicas).
 *
 * @example
 * ```ts
 * await migrateAudit(pool);
 * ```
 */
export async function migrateAudit(pool: Pool): Promise<number[]> {
  return await migrate(pool, { service: 'audit', dir: MIGRATIONS_DIR });
}
