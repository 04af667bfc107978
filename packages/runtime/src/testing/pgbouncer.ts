import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { TEST_PG_ADMIN_URL } from './database.js';
import { freePort, waitFor } from './ports.js';

/** A private `pgbouncer` in transaction pooling mode in front of the test PostgreSQL server. */
export interface TestPgBouncer {
  port: number;
  /** `url` (a database on the test server) rewritten to go through this pgbouncer. */
  via(url: string): string;
  /** Runs one command of the admin console (`SHOW STATS`, `RECONNECT db`, …). */
  console(command: string): Promise<Array<Record<string, unknown>>>;
  /** `SHOW STATS` of the admin console: transactions served for `database`. */
  transactions(database: string): Promise<number>;
  stop(): Promise<void>;
}

function binary(): string {
  const found = [...(process.env.PATH ?? '').split(':'), '/usr/sbin'].find((d) => existsSync(join(d, 'pgbouncer')));
  if (!found) throw new Error('pgbouncer is not installed: run scripts/ensure-services.sh (Debian package pgbouncer)');
  return join(found, 'pgbouncer');
}

/**
 * Starts `pgbouncer` (Debian's package) on a free port with `pool_mode =
 * transaction`, every database forwarded to the test server as its user:
 * the setup many production databases sit behind.
 *
 * @example
 * ```ts
 * const bouncer = await startPgBouncer();
 * const url = bouncer.via(db.url);
 * ```
 */
export async function startPgBouncer(): Promise<TestPgBouncer> {
  const server = new URL(TEST_PG_ADMIN_URL);
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-pgbouncer-'));
  const user = decodeURIComponent(server.username || 'postgres');
  const password = decodeURIComponent(server.password);
  const config = `[databases]
* = host=${server.hostname} port=${server.port || 5432} user=${user}${password ? ` password=${password}` : ''}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = any
admin_users = ${user}
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
stats_period = 1
logfile = ${join(dir, 'pgbouncer.log')}
pidfile = ${join(dir, 'pgbouncer.pid')}
`;
  await writeFile(join(dir, 'pgbouncer.ini'), config);
  // pgbouncer will not run as root: as root it is told to switch to nobody, who must read its folder.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) await chmod(dir, 0o777);
  const child = spawn(binary(), [...(asRoot ? ['-u', 'nobody'] : []), join(dir, 'pgbouncer.ini')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const admin = async (command: string) => {
    const client = new pg.Client({ host: '127.0.0.1', port, user, database: 'pgbouncer' });
    await client.connect();
    try {
      return (await client.query(command)).rows as Array<Record<string, unknown>>;
    } finally {
      await client.end();
    }
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`pgbouncer exited: ${stderr}`);
        return await admin('SHOW VERSION').then(
          () => true,
          () => false,
        );
      },
      10_000,
      `pgbouncer on port ${port}`,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port,
    via: (url) => {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    console: admin,
    transactions: async (database) =>
      Number((await admin('SHOW STATS')).find((r) => r.database === database)?.total_xact_count ?? 0),
    stop,
  };
}
