import { describe, expect, it } from 'vitest';
import { Turns } from '../src/domain/turns.js';

/** A task that finishes when told to, recording when it started. */
function deferredTask(started: string[], name: string) {
  let finish!: (value: string) => void;
  const done = new Promise<string>((resolve) => {
    finish = resolve;
  });
  return {
    task: () => {
      started.push(name);
      return done;
    },
    finish: () => finish(name),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('Turns', () => {
  it('runs at most `slots` tasks at once, the others in arrival order', async () => {
    const turns = new Turns(2);
    const started: string[] = [];
    const tasks = ['a', 'b', 'c', 'd'].map((name) => deferredTask(started, name));
    const results = tasks.map((t) => turns.run(t.task));
    await tick();
    expect(started).toEqual(['a', 'b']);
    expect([turns.running, turns.waiting]).toEqual([2, 2]);
    tasks[1]?.finish();
    await tick();
    expect(started).toEqual(['a', 'b', 'c']);
    tasks[0]?.finish();
    tasks[2]?.finish();
    await tick();
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    tasks[3]?.finish();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
    expect([turns.running, turns.waiting]).toEqual([0, 0]);
  });

  it('hands a freed slot to the one waiting, not to a newcomer', async () => {
    const turns = new Turns(1);
    const started: string[] = [];
    const first = deferredTask(started, 'first');
    const waiter = deferredTask(started, 'waiter');
    const newcomer = deferredTask(started, 'newcomer');
    const runs = [turns.run(first.task), turns.run(waiter.task)];
    await tick();
    first.finish();
    runs.push(turns.run(newcomer.task));
    await tick();
    expect(started).toEqual(['first', 'waiter']);
    waiter.finish();
    await tick();
    newcomer.finish();
    await Promise.all(runs);
    expect(started).toEqual(['first', 'waiter', 'newcomer']);
  });

  it('frees the slot of a task that fails', async () => {
    const turns = new Turns(1);
    await expect(turns.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await turns.run(async () => 'next')).toBe('next');
    expect(turns.running).toBe(0);
  });

  it('starts waiting tasks at once when resized up', async () => {
    const turns = new Turns(1);
    const started: string[] = [];
    const tasks = ['a', 'b', 'c'].map((name) => deferredTask(started, name));
    const results = tasks.map((t) => turns.run(t.task));
    await tick();
    expect(started).toEqual(['a']);
    turns.resize(3);
    await tick();
    expect(started).toEqual(['a', 'b', 'c']);
    for (const t of tasks) t.finish();
    await Promise.all(results);
  });
});
