import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { REVOCATION_ACK_CHANNEL, REVOCATION_BARRIER_CHANNEL } from '@gatehouse/contracts';
import type { Logger, Redis } from '@gatehouse/runtime';

/**
 * Added to the lease: a timer may fire a millisecond early, and a gateway's
 * clock reads whole milliseconds.
 */
const LEASE_MARGIN_MS = 5;

interface Waiter {
  confirmed: number;
  expected: number;
  done: () => void;
}

/**
 * Guarantee 5 on the revoking side: a logout or revocation is answered only
 * once every gateway replica that caches sessions has dropped the revoked
 * ones. After the session write, {@link wait} publishes a nonce on
 * `REVOCATION_BARRIER_CHANNEL`; each caching gateway receives it on the
 * connection that carries its invalidations, after them, and echoes it on
 * `REVOCATION_ACK_CHANNEL`, which `subscriber` listens to. `PUBLISH` says how
 * many gateways heard the nonce; once that many have echoed it, every one of
 * them has applied the revocation.
 *
 * A gateway that stays silent (stalled, partitioned, slow) is waited out for
 * `leaseMs` (`SESSION_CACHE_LEASE_MS`, the gateways' own): it serves cached
 * sessions only while a heartbeat it sent within that time has been
 * answered, and any such answer comes after the invalidation. So the wait
 * costs one round trip through the gateways normally, and at most the lease.
 * Without a `subscriber` (or while it is not subscribed) the lease is waited
 * whenever some gateway heard the nonce.
 */
export class RevocationBarrier {
  readonly #waiting = new Map<string, Waiter>();
  private readonly leaseMs: number;
  #listening = false;
  /** The subscription under way, which a revocation waits for rather than waiting out the lease. */
  #subscribing: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis | undefined,
    leaseMs: number,
    private readonly logger?: Logger,
  ) {
    this.leaseMs = leaseMs + LEASE_MARGIN_MS;
    if (subscriber === undefined) return;
    subscriber.options.autoResubscribe = false;
    subscriber.on('message', (channel: string, nonce: string) => {
      if (channel === REVOCATION_ACK_CHANNEL) this.#confirmed(nonce);
    });
    subscriber.on('close', () => {
      this.#listening = false;
    });
    subscriber.on('ready', () => this.#listen());
    if (subscriber.status === 'ready') this.#listen();
  }

  /** Resolves once every caching gateway has applied the revocations written before this call (see the class). */
  async wait(): Promise<void> {
    const nonce = randomBytes(12).toString('base64url');
    const waiter: Waiter = { confirmed: 0, expected: Number.POSITIVE_INFINITY, done: () => {} };
    const confirmed = new Promise<void>((resolve) => {
      waiter.done = resolve;
    });
    await this.#subscribing;
    const listening = this.#listening;
    // Registered before publishing: an echo can overtake PUBLISH's own reply.
    if (listening) this.#waiting.set(nonce, waiter);
    let timer: NodeJS.Timeout | undefined;
    try {
      const heard = await this.redis.publish(REVOCATION_BARRIER_CHANNEL, nonce);
      if (heard === 0) return;
      if (!listening) {
        await sleep(this.leaseMs);
        return;
      }
      waiter.expected = heard;
      if (waiter.confirmed >= heard) return;
      const lapsed = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), this.leaseMs);
      });
      const all = await Promise.race([confirmed.then(() => true), lapsed]);
      if (!all) {
        this.logger?.warn(
          { gateways: heard, confirmed: waiter.confirmed, leaseMs: this.leaseMs },
          'a gateway did not confirm a revocation; waited out its cache lease',
        );
      }
    } catch {
      // Whoever heard the nonce cannot be told now; a gateway's cache outlives its last heartbeat by the lease at most.
      await sleep(this.leaseMs);
    } finally {
      clearTimeout(timer);
      this.#waiting.delete(nonce);
    }
  }

  #confirmed(nonce: string): void {
    const waiter = this.#waiting.get(nonce);
    if (waiter === undefined) return;
    waiter.confirmed += 1;
    if (waiter.confirmed >= waiter.expected) waiter.done();
  }

  #listen(): void {
    const subscribing: Promise<void> = (this.subscriber as Redis)
      .subscribe(REVOCATION_ACK_CHANNEL)
      .then(
        () => {
          this.#listening = true;
        },
        (err: unknown) => {
          this.logger?.warn({ err }, 'cannot subscribe to revocation confirmations; revocations wait out the lease');
        },
      )
      .finally(() => {
        if (this.#subscribing === subscribing) this.#subscribing = undefined;
      });
    this.#subscribing = subscribing;
  }
}
