/** `Promise.withResolvers()`, which Node 20 lacks. */
function withResolvers(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * Handles one batch: stores it, calls `committed()` once it is in the
 * database, then acknowledges it.
 */
export type BatchTask = (committed: () => void) => Promise<void>;

/**
 * The consumer's pipelining, so its work overlaps PostgreSQL's: the next
 * batch is read while one is handled, and a batch is prepared while the one
 * before is stored. Stores run one at a time, in order: a task starts once the
 * task before has committed, while that one's acknowledgement may still be on
 * its way; at most two tasks are in flight.
 *
 * @example
 * const pipeline = new BatchPipeline(() => readNew(...), () => !stopping);
 * const entries = await pipeline.next();
 * await pipeline.push((committed) => handle(prepare(entries), committed));
 * await pipeline.drain();
 */
export class BatchPipeline<T> {
  /** The read of the next batch, started as soon as the one before came back not empty. */
  private ahead: Promise<T[]> | undefined;
  /** Tasks not yet finished, oldest first: the one being stored, and the one before while it acknowledges. */
  private inFlight: Promise<void>[] = [];
  /** Settles when the newest task has committed (or failed). */
  private committed: Promise<unknown> = Promise.resolve();

  /**
   * @param read reads one batch; an empty one means nothing came
   * @param canReadAhead whether to start the read after a batch (false once stopping)
   */
  constructor(
    private readonly read: () => Promise<T[]>,
    private readonly canReadAhead: () => boolean,
  ) {}

  /** The next batch: the one read ahead, or a new read. When it is not empty, the read after it starts at once. */
  async next(): Promise<T[]> {
    const reading = this.ahead ?? this.read();
    this.ahead = undefined;
    const batch = await reading;
    if (batch.length > 0 && this.canReadAhead()) {
      this.ahead = this.read();
      // Its failure is reported by the next `next()` or `takeReadAhead()`.
      this.ahead.catch(() => undefined);
    }
    return batch;
  }

  /** The batch read ahead, if any (empty when its read failed), and forgets it. */
  async takeReadAhead(): Promise<T[]> {
    const batch = await (this.ahead?.catch(() => []) ?? []);
    this.ahead = undefined;
    return batch;
  }

  /**
   * Starts `task` once the task before has committed and at most one other is
   * in flight. Rejects with the failure of an earlier task met on the way.
   */
  async push(task: BatchTask): Promise<void> {
    await this.committed;
    if (this.inFlight.length === 2) await this.inFlight.shift();
    const { promise: stored, resolve: committed } = withResolvers();
    const handled = task(committed);
    // Its failure is reported by `drain()` or a later `push()`; these copies must not count as unhandled.
    handled.catch(() => undefined);
    this.inFlight.push(handled);
    this.committed = Promise.race([stored, handled]);
    this.committed.catch(() => undefined);
  }

  /** Waits for every task in flight, then rejects with the first failure among them, if any. */
  async drain(): Promise<void> {
    const settled = await Promise.allSettled(this.inFlight);
    this.inFlight = [];
    this.committed = Promise.resolve();
    for (const result of settled) if (result.status === 'rejected') throw result.reason;
  }
}
