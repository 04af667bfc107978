import { Writable } from 'node:stream';
import { SESSION_FIELD_NAMES, sessionKey } from '@gatehouse/contracts';
import { closeRedis, createRedis, type Redis, waitForRedis } from '@gatehouse/runtime';
import { startRedis, type TestRedis, waitFor } from '@gatehouse/runtime/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionReader } from '../../src/domain/session-reader.js';

// After a failover the two tracking connections can sit on different servers
// for a moment, and client ids repeat across servers: a REDIRECT to the
// subscriber's id on the reader's server would send the invalidations to some
// other client there, and a revoked session would be served from the cache.
let oldPrimary: TestRedis;
let newPrimary: TestRedis;
const clients: Redis[] = [];
const lines: string[] = [];
const logger = pino(
  { level: 'info' },
  new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  }),
);
const connect = async (server: TestRedis, role: 'command' | 'subscriber' = 'command') => {
  const client = createRedis({ url: server.url, logger, name: 'test', role, commandTimeoutMs: 5000 });
  clients.push(client);
  await waitForRedis(client);
  return client;
};

beforeAll(async () => {
  [oldPrimary, newPrimary] = await Promise.all([startRedis(), startRedis()]);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => closeRedis(c)));
  await Promise.all([oldPrimary?.stop(), newPrimary?.stop()]);
});

describe('session reader across a failover', () => {
  it('does not cache while its reader and subscriber are on different servers', async () => {
    for (let i = 0; i < 20; i++) await closeRedis(await connect(newPrimary));
    const subscriber = await connect(newPrimary, 'subscriber');
    const subscriberId = Number(await subscriber.client('ID'));
    // A stranger on the old primary that holds the same client id.
    let strangerId = 0;
    while (strangerId < subscriberId) strangerId = Number(await (await connect(oldPrimary)).client('ID'));
    expect(strangerId).toBe(subscriberId);
    const reader = await connect(oldPrimary);
    const writer = await connect(oldPrimary);
    const sessions = new SessionReader({
      reader,
      subscriber,
      writer,
      logger,
      cacheSize: 100,
      leaseMs: 5000,
      heartbeatMs: 100,
      idleTimeoutSeconds: 0,
    });
    try {
      await waitFor(
        async () => lines.some((l) => /different redis servers|session cache on/.test(l)),
        10_000,
        'the reader to decide on tracking',
      );
      const key = sessionKey('s1');
      const expires = String(Math.floor(Date.now() / 1000) + 600);
      await writer.hset(key, SESSION_FIELD_NAMES.userId, 'u1', SESSION_FIELD_NAMES.expiresAt, expires);
      expect(await sessions.get('s1')).not.toBeNull();
      expect(await sessions.get('s1')).not.toBeNull();
      await writer.del(key);
      expect(await sessions.get('s1')).toBeNull();
      expect(sessions.isCaching).toBe(false);
    } finally {
      sessions.close();
    }
  });
});
