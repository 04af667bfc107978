import pg from 'pg';
import type { Logger } from 'pino';

/** Options of {@link createPool}. */
export interface CreatePoolOptions {
  url: string;
  logger: Logger;
  name: string;
  max?: number;
}

/** The longest a statement may run: set per role and database by {@link setStatementTimeout}. */
const STATEMENT_TIMEOUT = '30s';

/**
 * Creates a pg pool with an `error` listener (an idle client's error would
 * otherwise crash the process) and a short connect timeout.
 *
 * It sends no `statement_timeout` startup parameter: PgBouncer refuses the
 * connection over it, and a session `SET` would leak between clients under
 * transaction pooling. The statement timeout is a setting of the role in the
 * database instead (see {@link setStatementTimeout}, applied by `migrate`),
 * which PostgreSQL applies to every new backend, pooled or not.
 *
 * @example
 * ```ts
 * const pool = createPool({ url: config.DATABASE_URL, logger, name: 'auth' });
 * ```
 */
export function createPool(options: CreatePoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    application_name: `gatehouse-${options.name}`,
    connectionTimeoutMillis: 2000,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', (err) => options.logger.warn({ err }, 'postgres idle client error'));
  // A checked-out client whose connection drops emits 'error' after its query
  // already failed; without a listener that event would crash the process.
  pool.on('connect', (client) => {
    client.on('error', (err) => options.logger.debug({ err }, 'postgres client error'));
  });
  return pool;
}

/**
 * Makes {@link STATEMENT_TIMEOUT} the default of the current role in the
 * current database (`ALTER ROLE CURRENT_USER IN DATABASE … SET`; any role may
 * set its own defaults). New server connections start with it, including
 * the ones PgBouncer opens, so it survives transaction pooling; it is scoped
 * to this database, so other databases on the server are untouched.
 */
export async function setStatementTimeout(client: pg.ClientBase): Promise<void> {
  // Only when unset: a value an operator chose for the role in this database stays.
  await client.query(`DO $$ BEGIN
    IF NOT EXISTS (
      SELECT 1 FROM pg_db_role_setting s, unnest(s.setconfig) AS c
       WHERE s.setrole = (SELECT oid FROM pg_roles WHERE rolname = current_user)
         AND s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND c LIKE 'statement\\_timeout=%'
    ) THEN
      EXECUTE format('ALTER ROLE CURRENT_USER IN DATABASE %I SET statement_timeout = %L', current_database(), '${STATEMENT_TIMEOUT}');
    END IF;
  END $$`);
}

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
