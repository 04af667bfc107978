import { fileURLToPath } from 'node:url';
import { migrate, type Pool } from '@gatehouse/runtime';

/** The folder of auth's numbered SQL migrations. */
const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));

/**
 * Applies auth's migrations (the `users` table); safe to run twice and from
 * several replicas at once.
 *
 * @returns the versions applied by this call
 */
export async function migrateAuth(pool: Pool): Promise<number[]> {
  return await migrate(pool, { service: 'auth', dir: MIGRATIONS_DIR });
}
