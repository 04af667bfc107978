import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { setStatementTimeout } from './postgres.js';

const FILE = /^(\d+)[-_].+\.sql$/;

/**
 * Applies a service's numbered SQL files (`001_users.sql`, …) that have not
 * been applied yet, in one transaction under an advisory lock, so replicas
 * starting together and a second run are both safe.
 *
 * @returns the versions applied by this call
 * @example
 * ```ts
 * await migrate(pool, { service: 'auth', dir: new URL('../migrations', import.meta.url).pathname });
 * ```
 */
export async function migrate(pool: pg.Pool, options: { service: string; dir: string }): Promise<number[]> {
  const files = (await readdir(options.dir))
    .map((name) => ({ name, match: FILE.exec(name) }))
    .filter((f): f is { name: string; match: RegExpExecArray } => f.match !== null)
    .map((f) => ({ name: f.name, version: Number(f.match[1]) }))
    .sort((a, b) => a.version - b.version);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // A migration may rewrite a large table: no statement timeout for it.
    await client.query('SET LOCAL statement_timeout = 0');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('gatehouse_migrations'))");
    await client.query(`CREATE TABLE IF NOT EXISTS gatehouse_migrations (
      service text NOT NULL, version integer NOT NULL, name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (service, version))`);
    const done = await client.query<{ version: number }>(
      'SELECT version FROM gatehouse_migrations WHERE service = $1',
      [options.service],
    );
    const applied = new Set(done.rows.map((r) => r.version));
    const ran: number[] = [];
    for (const file of files) {
      if (applied.has(file.version)) continue;
      await client.query(await readFile(join(options.dir, file.name), 'utf8'));
      await client.query('INSERT INTO gatehouse_migrations (service, version, name) VALUES ($1, $2, $3)', [
        options.service,
        file.version,
        file.name,
      ]);
      ran.push(file.version);
    }
    await setStatementTimeout(client);
    await client.query('COMMIT');
    return ran;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
