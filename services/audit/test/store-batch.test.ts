import { describe, expect, it } from 'vitest';
import { chainAfter, headAfter, type IncomingEvent } from '../src/domain/chain.js';
import { verifyTrail } from '../src/domain/verify.js';
import { readChainHead, readyToInsert, storeBatch } from '../src/repositories/events.repository.js';
import { type Env, fullEvent, onEmptyTrail, storeDirect, testKeys } from './helpers.js';

let env: Env;
const keys = testKeys();
onEmptyTrail((created) => {
  env = created;
});

let streamSeq = 0;
const incoming = (n: number): IncomingEvent[] =>
  Array.from({ length: n }, (_, i) => ({
    streamId: `1-${++streamSeq}`,
    event: fullEvent({ type: 'auth.login.failed', subject: `u${i}` }),
  }));

const store = (events: IncomingEvent[], ready?: ReturnType<typeof readyToInsert>) =>
  storeBatch(env.pool, { events, deadLetters: [], consumer: 'test', now: new Date(), ...(ready ? { ready } : {}) });

const storedSeqs = async () =>
  (await env.pool.query<{ seq: string }>('SELECT seq FROM audit_events ORDER BY seq')).rows.map((r) => Number(r.seq));

describe('storing a batch chained in advance', () => {
  it('stores it as chained when the head is where it was chained from', async () => {
    const events = incoming(5);
    const chain = chainAfter(await readChainHead(env.pool), events);
    const result = await store(events, readyToInsert(chain, new Date()));
    expect(result.stored.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(result.head).toEqual(headAfter(chain));
    expect(await readChainHead(env.pool)).toEqual(headAfter(chain));
    expect((await verifyTrail(env.pool, keys.publicKey)).ok).toBe(true);
  });

  it('chains it again after the real head when another writer moved it meanwhile', async () => {
    const events = incoming(3);
    const stale = chainAfter(await readChainHead(env.pool), events);
    await storeDirect(
      env.pool,
      incoming(4).map((i) => i.event),
    );
    const result = await store(events, readyToInsert(stale, new Date()));
    expect(result.stored.map((e) => e.seq)).toEqual([5, 6, 7]);
    expect(result.head?.seq).toBe(7);
    expect(await storedSeqs()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect((await verifyTrail(env.pool, keys.publicKey)).ok).toBe(true);
  });

  it('writes nothing twice when an event of it is already stored', async () => {
    const events = incoming(4);
    await store(events.slice(0, 2));
    const chain = chainAfter({ seq: 2, hash: (await readChainHead(env.pool)).hash }, events);
    const result = await store(events, readyToInsert(chain, new Date()));
    expect(result.stored.map((e) => e.id)).toEqual(events.slice(2).map((e) => e.event.id.toLowerCase()));
    expect(result.duplicates).toBe(2);
    expect(await storedSeqs()).toEqual([1, 2, 3, 4]);
    expect((await verifyTrail(env.pool, keys.publicKey)).ok).toBe(true);
  });

  it('keeps one gap-free chain when two writers race with the same assumed head', async () => {
    const head = await readChainHead(env.pool);
    const [a, b] = [incoming(50), incoming(50)];
    const results = await Promise.all([
      store(a, readyToInsert(chainAfter(head, a), new Date())),
      store(b, readyToInsert(chainAfter(head, b), new Date())),
    ]);
    expect(results.map((r) => r.stored.length)).toEqual([50, 50]);
    expect(await storedSeqs()).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect((await verifyTrail(env.pool, keys.publicKey)).ok).toBe(true);
  });
});
