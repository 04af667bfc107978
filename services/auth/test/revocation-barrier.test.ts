import { REVOCATION_ACK_CHANNEL, REVOCATION_BARRIER_CHANNEL } from '@gatehouse/contracts';
import { closeRedis, createLogger, createRedis, type Redis, waitForRedis } from '@gatehouse/runtime';
import { startRedis, type TestRedis } from '@gatehouse/runtime/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RevocationBarrier } from '../src/redis/revocation-barrier.js';

// The revoking side of guarantee 5, against a real redis-server: stand-in
// gateways subscribe to the barrier channel as the gateway's invalidation
// connection does, and echo (or not) on the ack channel.
const logger = createLogger({ service: 'test', level: 'silent', format: 'json' });
let server: TestRedis;
let clients: Redis[] = [];
const connect = async (role: 'command' | 'subscriber' = 'command') => {
  const client = createRedis({ url: server.url, logger, name: 'test', role, commandTimeoutMs: 5000 });
  clients.push(client);
  await waitForRedis(client);
  return client;
};

/** A gateway stand-in: hears the barrier; echoes each nonce after `echo` resolves. */
const gateway = async (echo: () => Promise<void> = async () => {}) => {
  const subscriber = await connect('subscriber');
  const writer = await connect();
  const heard: string[] = [];
  subscriber.on('message', (channel: string, nonce: string) => {
    if (channel !== REVOCATION_BARRIER_CHANNEL) return;
    heard.push(nonce);
    void echo().then(() => writer.publish(REVOCATION_ACK_CHANNEL, nonce));
  });
  await subscriber.subscribe(REVOCATION_BARRIER_CHANNEL);
  return heard;
};

let acks: Redis;
const barrier = async (leaseMs: number) => {
  acks = await connect('subscriber');
  return new RevocationBarrier(await connect(), acks, leaseMs);
};

/** Milliseconds `wait()` took. */
const timed = async (b: RevocationBarrier) => {
  const started = performance.now();
  await b.wait();
  return performance.now() - started;
};

beforeAll(async () => {
  server = await startRedis();
});
afterEach(async () => {
  await Promise.all(clients.map((c) => closeRedis(c)));
  clients = [];
});
afterAll(async () => {
  await server?.stop();
});

describe('revocation barrier', () => {
  it('answers at once when no gateway caches sessions', async () => {
    const b = await barrier(60_000);
    expect(await timed(b)).toBeLessThan(30_000);
  });

  it('answers once every gateway that heard the nonce has echoed it, not before', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const fast = await gateway();
    const slow = await gateway(() => held);
    const b = await barrier(60_000);
    const observer = await connect('subscriber');
    const echoed = new Promise<void>((resolve) => observer.on('message', () => resolve()));
    await observer.subscribe(REVOCATION_ACK_CHANNEL);
    let done = false;
    const waiting = b.wait().then(() => {
      done = true;
    });
    // Both heard it and the fast one's echo has reached the barrier (a PING on its connection
    // answers after every message published before it); it still waits for the slow one.
    const deadline = Date.now() + 10_000;
    while ((fast.length === 0 || slow.length === 0) && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect(fast).toHaveLength(1);
    expect(slow).toEqual(fast);
    await echoed;
    await acks.ping();
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    release();
    await waiting;
    expect(done).toBe(true);
  });

  it('waits out the lease for a gateway that never echoes, then answers', async () => {
    await gateway();
    await gateway(() => new Promise(() => {}));
    const b = await barrier(400);
    const took = await timed(b);
    expect(took).toBeGreaterThanOrEqual(399);
    expect(took).toBeLessThan(30_000);
  });

  it('waits out the lease when it cannot hear echoes (no subscriber)', async () => {
    await gateway();
    const b = new RevocationBarrier(await connect(), undefined, 400);
    expect(await timed(b)).toBeGreaterThanOrEqual(399);
  });

  it('keeps concurrent revocations apart: each waits for its own echoes', async () => {
    await gateway();
    await gateway();
    const b = await barrier(60_000);
    const took = await Promise.all(Array.from({ length: 20 }, () => timed(b)));
    expect(Math.max(...took)).toBeLessThan(30_000);
  });
});
