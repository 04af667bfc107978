import pg from 'pg';
import type { Logger } from 'pino';

/** Options of {@link createPool}. */
export interface CreatePoolOptions {
  url: string;
  logger: Logger;
  name: string;
  max?: number;
}

/**
 * Creates a pg pool with an `error` listener (an idle client's error would
 * otherwise crash the process) and short connect and statement timeouts.
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
    statement_timeout: 30_000,
  });
  pool.on('error', (err) => options.logger.warn({ err }, 'postgres idle client error'));
  // A checked-out client whose connection drops emits 'error' after its query
  // already failed; without a listener that event would crash the process.
  pool.on('connect', (client) => {
    client.on('error', (err) => options.logger.debug({ err }, 'postgres client error'));
  });
  return pool;
}

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
