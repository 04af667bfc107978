import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeRedis, createLogger, createPool, createRedis, migrate, waitForRedis } from '@gatehouse/runtime';
import { createTestDatabase, startRedis, startTcpProxy } from '@gatehouse/runtime/testing';
import { describe, expect, it } from 'vitest';

const logger = createLogger({ service: 'test', level: 'silent', format: 'json' });

describe('private redis-server', () => {
  it('fails fast while paused and recovers after resume and restart', async () => {
    const server = await startRedis();
    const redis = createRedis({ url: server.url, logger, name: 'test', commandTimeoutMs: 300 });
    try {
      await waitForRedis(redis);
      expect(await redis.ping()).toBe('PONG');
      server.pause();
      const started = Date.now();
      await expect(redis.ping()).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(1000);
      server.resume();
      await server.kill();
      await expect(redis.set('k', 'v')).rejects.toThrow();
      await server.start();
      await waitForRedis(redis);
      expect(await redis.ping()).toBe('PONG');
    } finally {
      await closeRedis(redis);
      await server.stop();
    }
  });
});

describe('migrations on a private database', () => {
  it('apply once and are safe to run twice, even through a proxy that is cut', async () => {
    const db = await createTestDatabase();
    const dir = await mkdtemp(join(tmpdir(), 'migrations-'));
    await writeFile(join(dir, '001_things.sql'), 'CREATE TABLE things (id int primary key);');
    await writeFile(join(dir, '002_more.sql'), 'ALTER TABLE things ADD COLUMN name text;');
    const url = new URL(db.url);
    const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.port = String(proxy.port);
    const pool = createPool({ url: url.toString(), logger, name: 'test' });
    try {
      expect(await migrate(pool, { service: 't', dir })).toEqual([1, 2]);
      expect(await migrate(pool, { service: 't', dir })).toEqual([]);
      await proxy.cut();
      await expect(pool.query('SELECT 1')).rejects.toThrow();
      await proxy.restore();
      const { rows } = await pool.query('SELECT count(*)::int AS n FROM things');
      expect(rows[0].n).toBe(0);
    } finally {
      await pool.end();
      await proxy.close();
      await db.drop();
    }
  });
});
