import { channel } from 'node:diagnostics_channel';
import { AUTH_EVENTS_DEAD_STREAM, EVENT_FIELD } from '@gatehouse/contracts';
import { type Logger, type Pool, type Redis, withLinkedSpan } from '@gatehouse/runtime';
import { type ChainHead, chainAfter, headAfter, sameHead } from '../domain/chain.js';
import {
  type BatchResult,
  type DeadLetter,
  type ReadyBatch,
  readChainHead,
  readyToInsert,
  storeBatch,
} from '../repositories/events.repository.js';
import {
  claimIdle,
  ensureGroup,
  type GroupRef,
  isGroupMissing,
  pendingDeliveries,
  readNew,
  readOwnPending,
  removeConsumerIfIdle,
} from './group.js';
import { isDataError, type RawEntry, type SortedBatch, sortEntries } from './stream-entries.js';

/** What {@link batchChannel} publishes after each stored batch (the metrics plugin subscribes). */
export interface BatchMessage {
  entries: number;
  stored: number;
  seconds: number;
}

/** Diagnostics channel with one {@link BatchMessage} per handled batch. */
export const batchChannel = channel('gatehouse:audit:batch');

/** Settings of one consumer. */
export interface ConsumerOptions {
  ref: GroupRef;
  batchSize: number;
  blockMs: number;
  claimIdleMs: number;
  claimIntervalMs: number;
  maxDeliveries: number;
  retryMaxMs: number;
  deadStream?: string;
}

/** What a consumer needs. */
export interface ConsumerDeps {
  redis: Redis;
  blocking: Redis;
  pool: Pool;
  logger: Logger;
  onStored?: (stored: BatchResult['stored']) => void;
}

/** A running consumer's state, for `/readyz`. */
export interface ConsumerStatus {
  state: 'starting' | 'running' | 'paused' | 'stopped';
  consumer: string;
  stored: number;
  lastError: string | null;
}

/** Entries sorted for storing, with their events chained in advance when the head was predictable. */
interface PreparedBatch extends SortedBatch {
  /** Raw entries read (stored, dead-lettered or deleted). */
  entries: number;
  ready?: ReadyBatch;
}

/** `Promise.withResolvers()`, which Node 20 lacks. */
function withResolvers(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** The `auth-events` consumer of the `audit` group. */
export class AuthEventsConsumer {
  readonly status: ConsumerStatus;
  private stopping = false;
  /** The group (or the whole stream) vanished: Redis lost its data. Recreated before the next read. */
  private groupMissing = false;
  private loop: Promise<void> | undefined;
  private blockedId: number | null = null;
  private clientId: number | undefined;
  private wake: (() => void) | undefined;
  /**
   * The head the next prepared batch is chained after: where the batches
   * prepared so far will leave it. Unknown at start, after a failure, and
   * when another writer moved the head; then the batches in flight are
   * waited for and it is taken from the last stored batch or the database.
   */
  private nextHead: ChainHead | undefined;
  /** The head the last stored batch left. */
  private storedHead: ChainHead | undefined;
  private readonly log: Logger;

  constructor(
    private readonly deps: ConsumerDeps,
    private readonly options: ConsumerOptions,
  ) {
    this.status = { state: 'starting', consumer: options.ref.consumer, stored: 0, lastError: null };
    this.log = deps.logger.child({
      stream: options.ref.stream,
      group: options.ref.group,
      consumer: options.ref.consumer,
    });
    deps.blocking.on('ready', () => {
      this.clientId = undefined;
    });
  }

  /** Starts the read loop in the background. */
  start(): void {
    this.loop ??= this.run();
  }

  /** Finishes the batch in hand, stops reading, and leaves the group if nothing is pending for it. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    if (this.blockedId !== null) await this.deps.redis.client('UNBLOCK', this.blockedId).catch(() => undefined);
    await this.loop;
    this.status.state = 'stopped';
    const removed = await removeConsumerIfIdle(this.deps.redis, this.options.ref).catch(() => false);
    this.log.info({ removed }, 'audit consumer stopped');
  }

  private async run(): Promise<void> {
    let replayOwn = true;
    let lastClaim = 0;
    // The next batch is read while the current one commits; its entries stay pending until handled.
    let prefetch: Promise<RawEntry[]> | undefined;
    // Batches not yet acknowledged, oldest first: the one being stored, and the one before
    // while its XACK is on its way. The next batch is read, parsed, chained and serialized
    // while one is stored, so the consumer's work overlaps PostgreSQL's; stores run one at a time.
    let handling: Promise<void>[] = [];
    let committed: Promise<unknown> = Promise.resolve();
    const drain = async () => {
      const settled = await Promise.allSettled(handling);
      handling = [];
      committed = Promise.resolve();
      for (const result of settled) if (result.status === 'rejected') throw result.reason;
    };
    while (!this.stopping) {
      try {
        if (this.status.state === 'starting' || this.groupMissing) await this.createGroup();
        if (Date.now() - lastClaim >= this.options.claimIntervalMs) {
          await drain();
          await this.claimAbandoned();
          lastClaim = Date.now();
        }
        if (replayOwn) {
          const own = await this.readOwn(this.status.state === 'starting');
          if (own.entries.length === 0) replayOwn = false;
          else await this.handle(this.prepare(own.entries, own.deliveries));
        } else {
          const entries = await (prefetch ?? this.readBlocking());
          prefetch = undefined;
          if (entries.length > 0) {
            if (!this.stopping) prefetch = this.readBlocking();
            if (this.nextHead === undefined) {
              await drain();
              this.nextHead = this.storedHead ?? (await readChainHead(this.deps.pool));
            }
            const batch = this.prepare(entries);
            await committed;
            if (handling.length === 2) await handling.shift();
            const { promise: stored, resolve: inDatabase } = withResolvers();
            const handled = this.handle(batch, inDatabase);
            handled.catch(() => undefined);
            handling.push(handled);
            committed = Promise.race([stored, handled]);
            // Its failure is reported by `handling`; this copy must not count as unhandled.
            committed.catch(() => undefined);
          } else {
            await drain();
          }
        }
        if (this.status.state !== 'running') this.log.info('audit consumer running');
        this.status.state = 'running';
        this.status.lastError = null;
      } catch (err) {
        await drain().catch(() => undefined);
        this.nextHead = undefined;
        this.storedHead = undefined;
        if (this.stopping) break;
        this.status.state = this.status.state === 'starting' ? 'starting' : 'paused';
        this.status.lastError = (err as Error).message;
        if (isGroupMissing(err)) this.groupMissing = true;
        this.log.warn({ err }, 'audit consumption paused');
        await prefetch?.catch(() => undefined);
        prefetch = undefined;
        await this.waitUntilHealthy();
        replayOwn = true;
      }
    }
    await drain().catch((err) => this.log.warn({ err }, 'last batch left pending'));
    const rest = await prefetch?.catch(() => []);
    if (rest && rest.length > 0)
      await this.handle(this.prepare(rest)).catch((err) => this.log.warn({ err }, 'last batch left pending'));
  }

  /** Creates the group (at start, or again after Redis lost it: see {@link ensureGroup} for the position). */
  private async createGroup(): Promise<void> {
    const created = await ensureGroup(this.deps.redis, this.options.ref);
    if (this.groupMissing && created) this.log.warn('consumer group recreated at the start of the stream');
    this.groupMissing = false;
  }

  /**
   * Re-reads this consumer's own pending entries. Delivery counts are checked
   * only at start-up (a crash loop on one entry), not after an outage, when a
   * replay says nothing about the entry itself.
   */
  private async readOwn(atStartUp: boolean): Promise<{ entries: RawEntry[]; deliveries?: Map<string, number> }> {
    const entries = await readOwnPending(this.deps.blocking, this.options.ref, this.options.batchSize);
    if (!atStartUp || entries.length === 0) return { entries };
    return { entries, deliveries: await pendingDeliveries(this.deps.redis, this.options.ref, entries) };
  }

  private async readBlocking(): Promise<RawEntry[]> {
    this.clientId ??= Number(await this.deps.blocking.client('ID'));
    this.blockedId = this.clientId;
    try {
      if (this.stopping) return [];
      return await readNew(this.deps.blocking, this.options.ref, this.options.batchSize, this.options.blockMs);
    } finally {
      this.blockedId = null;
    }
  }

  private async claimAbandoned(): Promise<void> {
    let start = '0-0';
    do {
      const page = await claimIdle(this.deps.redis, this.options.ref, {
        idleMs: this.options.claimIdleMs,
        count: this.options.batchSize,
        start,
      });
      if (page.entries.length > 0) {
        this.log.info({ claimed: page.entries.length }, 'claimed entries left pending by another consumer');
        await this.handle(this.prepare(page.entries, page.deliveries));
      }
      start = page.next;
    } while (start !== '0-0' && !this.stopping);
  }

  /**
   * Parses and sorts entries, and chains their events after {@link nextHead}
   * when it is known. The chain is checked against the real head when stored.
   */
  private prepare(entries: RawEntry[], deliveries?: Map<string, number>): PreparedBatch {
    const sorted = sortEntries(entries, {
      maxDeliveries: this.options.maxDeliveries,
      ...(deliveries ? { deliveries } : {}),
    });
    const batch: PreparedBatch = { ...sorted, entries: entries.length };
    if (this.nextHead !== undefined && batch.events.length > 0) {
      const chain = chainAfter(this.nextHead, batch.events);
      batch.ready = readyToInsert(chain, new Date());
      this.nextHead = headAfter(chain);
    }
    return batch;
  }

  /** Stores a batch, then dead-letters and acknowledges it: XACK only after COMMIT. */
  private async handle(batch: PreparedBatch, committed?: () => void): Promise<void> {
    const started = performance.now();
    const traceparents = batch.events.map((e) => e.event.traceparent);
    const attributes = { 'messaging.system': 'redis', 'messaging.batch.message_count': batch.entries };
    const result = await withLinkedSpan('auth-events process', traceparents, attributes, () => this.store(batch));
    committed?.();
    const seconds = (performance.now() - started) / 1000;
    const message: BatchMessage = { entries: batch.entries, stored: result.stored.length, seconds };
    if (batchChannel.hasSubscribers) batchChannel.publish(message);
    const { redis } = this.deps;
    const pipeline = redis.pipeline();
    for (const dead of batch.deadLetters) {
      const fields = [EVENT_FIELD, dead.payload ?? '', 'reason', dead.reason, 'streamId', dead.streamId];
      pipeline.xadd(this.options.deadStream ?? AUTH_EVENTS_DEAD_STREAM, 'MAXLEN', '~', 100_000, '*', ...fields);
    }
    pipeline.xack(this.options.ref.stream, this.options.ref.group, ...batch.ids);
    const replies = await pipeline.exec();
    for (const [err] of replies ?? []) if (err) throw err;
    this.status.stored += result.stored.length;
    if (batch.deadLetters.length > 0) {
      this.log.warn({ dead: batch.deadLetters.map((d) => ({ id: d.streamId, reason: d.reason })) }, 'dead-lettered');
    }
    if (result.stored.length > 0) this.deps.onStored?.(result.stored);
  }

  private async store(batch: PreparedBatch): Promise<BatchResult> {
    const consumer = this.options.ref.consumer;
    try {
      const result = await storeBatch(this.deps.pool, { ...batch, consumer, now: new Date() });
      this.storedHead = result.head ?? this.storedHead;
      // Chained after another head than the real one: the batches chained after this one are too.
      if (batch.ready && !(result.head && sameHead(result.head, headAfter(batch.ready.chain))))
        this.nextHead = undefined;
      return result;
    } catch (err) {
      this.storedHead = undefined;
      this.nextHead = undefined;
      if (!isDataError(err)) throw err;
    }
    // PostgreSQL refused some row: store one by one so only the bad ones become dead letters.
    const total: BatchResult = { stored: [], duplicates: 0 };
    const refused: DeadLetter[] = [...batch.deadLetters];
    for (const item of batch.events) {
      try {
        const one = await storeBatch(this.deps.pool, { events: [item], deadLetters: [], consumer, now: new Date() });
        total.stored.push(...one.stored);
        total.duplicates += one.duplicates;
      } catch (err) {
        if (!isDataError(err)) throw err;
        const reason = `refused by PostgreSQL: ${(err as Error).message}`;
        refused.push({ streamId: item.streamId, payload: JSON.stringify(item.event), reason, deliveries: 1 });
      }
    }
    await storeBatch(this.deps.pool, { events: [], deadLetters: refused, consumer, now: new Date() });
    batch.deadLetters.splice(0, batch.deadLetters.length, ...refused);
    return total;
  }

  private async waitUntilHealthy(): Promise<void> {
    let delay = 100;
    while (!this.stopping) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      const ok = await Promise.all([this.deps.pool.query('SELECT 1'), this.deps.redis.ping()]).then(
        () => true,
        () => false,
      );
      if (ok) return;
      delay = Math.min(delay * 2, this.options.retryMaxMs);
    }
  }
}
