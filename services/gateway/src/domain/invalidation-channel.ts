import { REVOCATION_BARRIER_CHANNEL } from '@gatehouse/contracts';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** The channel Redis publishes client-side caching invalidations on (RESP2 redirect mode). */
const INVALIDATE_CHANNEL = '__redis__:invalidate';

/**
 * The `run_id` of the server a connection is on, from `INFO server`: it
 * tells the two tracking connections apart when a failover has put them on
 * different servers, where client ids repeat.
 */
export async function serverRunId(redis: Redis): Promise<string> {
  const info = await redis.info('server');
  return /^run_id:(\w+)/m.exec(info)?.[1] ?? '';
}

/** What the channel reports to the cache. */
export interface InvalidationHandlers {
  /** Keys that changed; `null` means "forget everything" (FLUSHALL, tracking table overflow). */
  onInvalidate(keys: string[] | null): void;
  /**
   * A revocation's barrier nonce: every invalidation Redis sent before it has
   * been handled (one connection delivers in order), so the caller may confirm it.
   */
  onBarrier(nonce: string): void;
  /** The subscriber connection is subscribed again under a new client id. */
  onSubscribed(clientId: number): void;
  /** The subscriber connection dropped: invalidations may have been lost. */
  onLost(): void;
}

/**
 * The subscriber side of Redis client-side caching: one connection that
 * learns its client id, subscribes to `__redis__:invalidate` and answers a
 * PING every `heartbeatMs`. A PONG proves every invalidation Redis produced
 * before the PING was sent has been delivered, so {@link aliveAt} (the send
 * time of the last answered PING) bounds how stale the cache can be, also
 * when the link stalls without closing.
 */
export class InvalidationChannel {
  #aliveAt = 0;
  #generation = 0;
  #pinging = false;
  #clientId: number | undefined;
  #serverId = '';
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly subscriber: Redis,
    private readonly handlers: InvalidationHandlers,
    private readonly logger: Logger,
    heartbeatMs: number,
  ) {
    // Subscribing again is our job: the client id must be read before the connection enters subscribe mode.
    subscriber.options.autoResubscribe = false;
    subscriber.on('messageBuffer', (channelName: Buffer, message: Buffer | Buffer[] | null) => {
      const channel = channelName.toString();
      if (channel === INVALIDATE_CHANNEL) {
        handlers.onInvalidate(
          message === null ? null : (Array.isArray(message) ? message : [message]).map((k) => k.toString()),
        );
      } else if (channel === REVOCATION_BARRIER_CHANNEL && Buffer.isBuffer(message)) {
        handlers.onBarrier(message.toString());
      }
    });
    subscriber.on('close', () => this.#lost());
    subscriber.on('ready', () => void this.#subscribe());
    if (subscriber.status === 'ready') void this.#subscribe();
    this.#timer = setInterval(() => this.#ping(), heartbeatMs);
    this.#timer.unref();
  }

  /** Send time (epoch ms) of the last PING answered on the current connection; 0 when none. */
  get aliveAt(): number {
    return this.#aliveAt;
  }

  /** The subscriber's client id while subscribed. */
  get clientId(): number | undefined {
    return this.#clientId;
  }

  /** The {@link serverRunId} of the server the subscriber is on (while subscribed). */
  get serverId(): string {
    return this.#serverId;
  }

  /** Stops the heartbeat; the connection itself is closed by its owner. */
  close(): void {
    clearInterval(this.#timer);
  }

  #lost(): void {
    this.#generation += 1;
    this.#pinging = false;
    this.#aliveAt = 0;
    if (this.#clientId === undefined) return;
    this.#clientId = undefined;
    this.handlers.onLost();
  }

  async #subscribe(): Promise<void> {
    const generation = this.#generation;
    try {
      const id = Number(await this.subscriber.client('ID'));
      const serverId = await serverRunId(this.subscriber);
      await this.subscriber.subscribe(INVALIDATE_CHANNEL, REVOCATION_BARRIER_CHANNEL);
      if (generation !== this.#generation) return;
      this.#clientId = id;
      this.#serverId = serverId;
      this.#aliveAt = Date.now();
      this.handlers.onSubscribed(id);
    } catch (err) {
      this.logger.warn({ err }, 'cannot subscribe to redis invalidations');
    }
  }

  #ping(): void {
    if (this.#pinging || this.#clientId === undefined) return;
    const generation = this.#generation;
    const sentAt = Date.now();
    this.#pinging = true;
    this.subscriber.ping().then(
      () => {
        if (generation !== this.#generation) return;
        this.#pinging = false;
        this.#aliveAt = Math.max(this.#aliveAt, sentAt);
      },
      () => {
        if (generation === this.#generation) this.#pinging = false;
      },
    );
  }
}
