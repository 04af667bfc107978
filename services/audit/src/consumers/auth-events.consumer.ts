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
import { BatchPipeline } from './batch-pipeline.js';
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

/** What storing a batch did: the events stored, and the entries dead-lettered (the batch's own and any PostgreSQL refused). */
interface StoreOutcome {
  stored: BatchResult['stored'];
  deadLetters: DeadLetter[];
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
  private readonly pipeline = new BatchPipeline<RawEntry>(
    () => this.readBlocking(),
    () => !this.stopping,
  );
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

  /**
   * The read loop, as named steps: create the group when it is missing, claim
   * abandoned entries every `claimIntervalMs`, replay this consumer's own
   * pending entries until none are left, then consume new ones; after a
   * failure, recover and replay again; on stop, finish what is in hand.
   */
  private async run(): Promise<void> {
    let replayOwn = true;
    let lastClaim = 0;
    while (!this.stopping) {
      try {
        if (this.status.state === 'starting' || this.groupMissing) await this.createGroup();
        if (Date.now() - lastClaim >= this.options.claimIntervalMs) {
          await this.claimAbandoned();
          lastClaim = Date.now();
        }
        if (replayOwn) replayOwn = await this.replayOwnPending();
        else await this.consumeNew();
        if (this.status.state !== 'running') this.log.info('audit consumer running');
        this.status.state = 'running';
        this.status.lastError = null;
      } catch (err) {
        await this.recover(err);
        replayOwn = true;
      }
    }
    await this.finish();
  }

  /** Creates the group (at start, or again after Redis lost it: see {@link ensureGroup} for the position). */
  private async createGroup(): Promise<void> {
    const created = await ensureGroup(this.deps.redis, this.options.ref);
    if (this.groupMissing && created) this.log.warn('consumer group recreated at the start of the stream');
    this.groupMissing = false;
  }

  /**
   * Stores one batch of this consumer's own pending entries (delivered before
   * a crash or an outage). Delivery counts are checked only at start-up (a
   * crash loop on one entry), not after an outage, when a replay says nothing
   * about the entry itself.
   *
   * @returns false when none were left
   */
  private async replayOwnPending(): Promise<boolean> {
    const { ref, batchSize } = this.options;
    const entries = await readOwnPending(this.deps.blocking, ref, batchSize);
    if (entries.length === 0) return false;
    const atStartUp = this.status.state === 'starting';
    const deliveries = atStartUp ? await pendingDeliveries(this.deps.redis, ref, entries) : undefined;
    await this.handle(this.prepare(entries, deliveries));
    return true;
  }

  /**
   * Takes the next batch of new entries (read ahead while the batch before
   * was handled) and hands it to the pipeline, chained after the head the
   * batches before it will leave; that head is read again when unknown.
   */
  private async consumeNew(): Promise<void> {
    const entries = await this.pipeline.next();
    if (entries.length === 0) return await this.pipeline.drain();
    if (this.nextHead === undefined) {
      await this.pipeline.drain();
      this.nextHead = this.storedHead ?? (await readChainHead(this.deps.pool));
    }
    const batch = this.prepare(entries);
    await this.pipeline.push((committed) => this.handle(batch, committed));
  }

  /**
   * After a failure: waits for the batches in flight, forgets the chain head,
   * and backs off until PostgreSQL and Redis answer. What was read and not
   * stored stays pending, and is replayed next.
   */
  private async recover(err: unknown): Promise<void> {
    await this.pipeline.drain().catch(() => undefined);
    this.nextHead = undefined;
    this.storedHead = undefined;
    if (this.stopping) return;
    this.status.state = this.status.state === 'starting' ? 'starting' : 'paused';
    this.status.lastError = (err as Error).message;
    if (isGroupMissing(err)) this.groupMissing = true;
    this.log.warn({ err }, 'audit consumption paused');
    await this.pipeline.takeReadAhead();
    await this.waitUntilHealthy();
  }

  /** On stop: finishes the batches in flight and the one read ahead; what fails stays pending. */
  private async finish(): Promise<void> {
    const leftPending = (err: unknown) => this.log.warn({ err }, 'last batch left pending');
    await this.pipeline.drain().catch(leftPending);
    const rest = await this.pipeline.takeReadAhead();
    if (rest.length > 0) await this.handle(this.prepare(rest)).catch(leftPending);
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

  /** Waits for the batches in flight, then claims and stores entries another consumer left pending too long. */
  private async claimAbandoned(): Promise<void> {
    await this.pipeline.drain();
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
    const { stored, deadLetters } = await withLinkedSpan('auth-events process', traceparents, attributes, () =>
      this.store(batch),
    );
    committed?.();
    const seconds = (performance.now() - started) / 1000;
    const message: BatchMessage = { entries: batch.entries, stored: stored.length, seconds };
    if (batchChannel.hasSubscribers) batchChannel.publish(message);
    const { redis } = this.deps;
    const pipeline = redis.pipeline();
    for (const dead of deadLetters) {
      const fields = [EVENT_FIELD, dead.payload ?? '', 'reason', dead.reason, 'streamId', dead.streamId];
      pipeline.xadd(this.options.deadStream ?? AUTH_EVENTS_DEAD_STREAM, 'MAXLEN', '~', 100_000, '*', ...fields);
    }
    pipeline.xack(this.options.ref.stream, this.options.ref.group, ...batch.ids);
    const replies = await pipeline.exec();
    for (const [err] of replies ?? []) if (err) throw err;
    this.status.stored += stored.length;
    if (deadLetters.length > 0) {
      this.log.warn({ dead: deadLetters.map((d) => ({ id: d.streamId, reason: d.reason })) }, 'dead-lettered');
    }
    if (stored.length > 0) this.deps.onStored?.(stored);
  }

  /** Stores a batch in one transaction; when PostgreSQL refuses a row, {@link storeOneByOne}. */
  private async store(batch: PreparedBatch): Promise<StoreOutcome> {
    try {
      const result = await storeBatch(this.deps.pool, {
        ...batch,
        consumer: this.options.ref.consumer,
        now: new Date(),
      });
      this.storedHead = result.head ?? this.storedHead;
      // Chained after another head than the real one: the batches chained after this one are too.
      if (batch.ready && !(result.head && sameHead(result.head, headAfter(batch.ready.chain))))
        this.nextHead = undefined;
      return { stored: result.stored, deadLetters: batch.deadLetters };
    } catch (err) {
      this.storedHead = undefined;
      this.nextHead = undefined;
      if (!isDataError(err)) throw err;
    }
    return await this.storeOneByOne(batch);
  }

  /** Stores a batch's events one by one, so only the rows PostgreSQL refuses become dead letters. */
  private async storeOneByOne(batch: PreparedBatch): Promise<StoreOutcome> {
    const consumer = this.options.ref.consumer;
    const stored: BatchResult['stored'] = [];
    const refused: DeadLetter[] = [...batch.deadLetters];
    for (const item of batch.events) {
      try {
        const one = await storeBatch(this.deps.pool, { events: [item], deadLetters: [], consumer, now: new Date() });
        stored.push(...one.stored);
      } catch (err) {
        if (!isDataError(err)) throw err;
        const reason = `refused by PostgreSQL: ${(err as Error).message}`;
        refused.push({ streamId: item.streamId, payload: JSON.stringify(item.event), reason, deliveries: 1 });
      }
    }
    await storeBatch(this.deps.pool, { events: [], deadLetters: refused, consumer, now: new Date() });
    return { stored, deadLetters: refused };
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
