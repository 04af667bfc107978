import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchPipeline, type BatchTask } from '../src/consumers/batch-pipeline.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What happened, at which fake time. */
let log: string[] = [];
beforeEach(() => {
  log = [];
});

/** A batch that is stored for `storeMs`, then acknowledged for `ackMs`; `fails` names the step that throws. */
function batch(name: string, storeMs: number, ackMs: number, fails?: 'store' | 'ack'): BatchTask {
  return async (committed) => {
    log.push(`${Date.now()} ${name} store`);
    await sleep(storeMs);
    if (fails === 'store') throw new Error(`${name} store failed`);
    committed();
    log.push(`${Date.now()} ${name} committed`);
    await sleep(ackMs);
    if (fails === 'ack') throw new Error(`${name} ack failed`);
    log.push(`${Date.now()} ${name} acked`);
  };
}

const noRead = () => Promise.resolve([]);

/** Pushes the tasks one after the other as the consumer does, then drains; runs the fake clock to the end. */
async function pushAll(pipeline: BatchPipeline<unknown>, tasks: BatchTask[]): Promise<unknown> {
  const run = (async () => {
    for (const task of tasks) await pipeline.push(task);
    await pipeline.drain();
  })().then(
    () => null,
    (err: Error) => err.message,
  );
  await vi.runAllTimersAsync();
  return await run;
}

describe('the consumer pipeline', () => {
  it('starts a store once the one before has committed, with its acknowledgement still on the way', async () => {
    const pipeline = new BatchPipeline(noRead, () => true);
    expect(await pushAll(pipeline, [batch('a', 10, 3), batch('b', 10, 3)])).toBeNull();
    expect(log).toEqual(['0 a store', '10 a committed', '10 b store', '13 a acked', '20 b committed', '23 b acked']);
  });

  it('keeps at most two batches in flight: a third waits for the first acknowledgement', async () => {
    const pipeline = new BatchPipeline(noRead, () => true);
    expect(await pushAll(pipeline, [batch('a', 10, 25), batch('b', 10, 1), batch('c', 10, 1)])).toBeNull();
    expect(log).toEqual([
      '0 a store',
      '10 a committed',
      '10 b store',
      '20 b committed',
      '21 b acked',
      '35 a acked',
      '35 c store',
      '45 c committed',
      '46 c acked',
    ]);
  });

  it('reports a failed store at the next push, starts nothing after it, and is empty once drained', async () => {
    const pipeline = new BatchPipeline(noRead, () => true);
    expect(await pushAll(pipeline, [batch('a', 10, 1, 'store'), batch('b', 10, 1)])).toBe('a store failed');
    expect(log).toEqual(['0 a store']);
    await expect(pipeline.drain()).rejects.toThrow('a store failed');
    await expect(pipeline.drain()).resolves.toBeUndefined();
    expect(await pushAll(pipeline, [batch('c', 10, 1)])).toBeNull();
    expect(log.at(-1)).toBe('21 c acked');
  });

  it('reports a failed acknowledgement once the batch after it has finished too', async () => {
    const pipeline = new BatchPipeline(noRead, () => true);
    expect(await pushAll(pipeline, [batch('a', 10, 5, 'ack'), batch('b', 10, 20)])).toBe('a ack failed');
    expect(log).toEqual(['0 a store', '10 a committed', '10 b store', '20 b committed', '40 b acked']);
  });

  it('reports a failed acknowledgement at the push that must wait for it', async () => {
    const pipeline = new BatchPipeline(noRead, () => true);
    const tasks = [batch('a', 10, 25, 'ack'), batch('b', 10, 1), batch('c', 10, 1)];
    expect(await pushAll(pipeline, tasks)).toBe('a ack failed');
    expect(log).not.toContain('35 c store');
  });
});

describe('reading ahead', () => {
  /** A read that takes 5 ms and returns the next scripted batch (an Error is thrown). */
  function scripted(batches: Array<number[] | Error>) {
    let reads = 0;
    const read = async () => {
      reads += 1;
      await sleep(5);
      const next = batches.shift() ?? [];
      if (next instanceof Error) throw next;
      return next;
    };
    return { read, reads: () => reads };
  }

  it('starts the next read as soon as a batch came back not empty, and only then', async () => {
    const { read, reads } = scripted([[1, 2], [], [3]]);
    const pipeline = new BatchPipeline(read, () => true);
    const first = pipeline.next();
    await vi.advanceTimersByTimeAsync(5);
    expect(await first).toEqual([1, 2]);
    expect(reads()).toBe(2);
    const second = pipeline.next();
    await vi.advanceTimersByTimeAsync(5);
    expect(await second).toEqual([]);
    expect(reads()).toBe(2);
    const third = pipeline.next();
    await vi.advanceTimersByTimeAsync(5);
    expect(await third).toEqual([3]);
    expect(reads()).toBe(4);
  });

  it('does not read ahead once told not to, and hands over what was read ahead', async () => {
    let reading = true;
    const { read, reads } = scripted([[1], [2], [3]]);
    const pipeline = new BatchPipeline(read, () => reading);
    const first = pipeline.next();
    await vi.advanceTimersByTimeAsync(5);
    expect(await first).toEqual([1]);
    reading = false;
    await vi.advanceTimersByTimeAsync(5);
    expect(await pipeline.takeReadAhead()).toEqual([2]);
    expect(await pipeline.takeReadAhead()).toEqual([]);
    expect(reads()).toBe(2);
  });

  it('reports a failed read ahead at the next read, and takes it as empty (never as an unhandled rejection)', async () => {
    const { read } = scripted([[1], new Error('connection lost'), [2], new Error('connection lost again')]);
    const pipeline = new BatchPipeline(read, () => true);
    const first = pipeline.next();
    await vi.advanceTimersByTimeAsync(10);
    expect(await first).toEqual([1]);
    await expect(pipeline.next()).rejects.toThrow('connection lost');
    const third = pipeline.next();
    await vi.advanceTimersByTimeAsync(10);
    expect(await third).toEqual([2]);
    expect(await pipeline.takeReadAhead()).toEqual([]);
  });
});
