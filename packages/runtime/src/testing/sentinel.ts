import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, waitFor } from './ports.js';
import { startRedis, type TestRedis } from './redis-server.js';

/** A primary, its replicas and three sentinels on free ports, owned by one test file. */
export interface TestSentinelGroup {
  /** The master group name the sentinels monitor. */
  name: string;
  /** `REDIS_SENTINELS` for the services: `127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`. */
  sentinels: string;
  primary: TestRedis;
  replicas: TestRedis[];
  /** The address the sentinels currently give for the primary. */
  primaryPort(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts Redis Sentinel as production runs it, in miniature: one primary,
 * `replicas` replicas (default 1) and three `redis-sentinel` processes
 * (quorum 2) that fail the primary over `downAfterMs` after it stops
 * answering. With `REDIS_WAIT_REPLICAS=1` a failover needs two replicas, as
 * in the prod overlay: the promoted one and one to confirm writes after it.
 * Needs Debian's `redis-sentinel` (scripts/ensure-services.sh installs it).
 *
 * @example
 * ```ts
 * const group = await startSentinelGroup();
 * await group.primary.kill(); // the sentinels promote the replica
 * ```
 */
export async function startSentinelGroup(
  options: { downAfterMs?: number; replicas?: number } = {},
): Promise<TestSentinelGroup> {
  if (spawnSync('redis-sentinel', ['--version']).error) {
    throw new Error(
      'redis-sentinel was not found: run scripts/ensure-services.sh (Debian: apt-get install redis-sentinel)',
    );
  }
  const name = 'gatehouse';
  const primary = await startRedis();
  const replicas: TestRedis[] = [];
  for (let i = 0; i < (options.replicas ?? 1); i++) {
    replicas.push(await startRedis(['--replicaof', '127.0.0.1', String(primary.port)]));
  }
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-sentinel-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const children: ChildProcess[] = [];
  const probe = quiet(new Redis(primary.port, { lazyConnect: true, maxRetriesPerRequest: 1 }));
  await waitFor(
    async () => (await probe.info('replication')).split('state=online').length - 1 === replicas.length,
    20_000,
    'the replicas to sync',
  );
  probe.disconnect();
  for (const port of ports) {
    const file = join(dir, `sentinel-${port}.conf`);
    await writeFile(
      file,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${primary.port} 2`,
        `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1000}`,
        `sentinel failover-timeout ${name} 10000`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    );
    const child = spawn('redis-sentinel', [file], { stdio: 'ignore' });
    child.on('error', () => undefined);
    children.push(child);
  }
  const sentinel = quiet(new Redis(ports[0] ?? 0, { lazyConnect: true, maxRetriesPerRequest: 1 }));
  const primaryPort = async () => {
    const [, port] = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', name)) as [string, string];
    return Number(port);
  };
  // Ready once every sentinel has found the replica and the other sentinels.
  await waitFor(
    async () => {
      for (const port of ports) {
        const client = quiet(new Redis(port, { lazyConnect: true, maxRetriesPerRequest: 1 }));
        try {
          const master = (await client.call('SENTINEL', 'master', name)) as string[];
          const field = (key: string) => master[master.indexOf(key) + 1];
          if (field('num-slaves') !== String(replicas.length) || field('num-other-sentinels') !== '2') return false;
        } finally {
          client.disconnect();
        }
      }
      return true;
    },
    30_000,
    'the sentinels to discover each other',
  );
  return {
    name,
    sentinels: ports.map((p) => `127.0.0.1:${p}`).join(','),
    primary,
    replicas,
    primaryPort,
    stop: async () => {
      sentinel.disconnect();
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGKILL');
            }),
        ),
      );
      await Promise.all([primary.stop(), ...replicas.map((r) => r.stop()), rm(dir, { recursive: true, force: true })]);
    },
  };
}

/** A probe's connection errors are answered by the waits that use it. */
function quiet(client: Redis): Redis {
  client.on('error', () => undefined);
  return client;
}
