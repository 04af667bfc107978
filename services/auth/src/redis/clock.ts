import type { Redis } from '@gatehouse/runtime';

/**
 * Tracks the difference between this process' clock and Redis' clock,
 * measured with `TIME` each time the connection becomes ready, so script
 * deadlines are expressed on the clock that checks them.
 */
export class RedisClock {
  #offsetMs = 0;

  /** Milliseconds to add to `Date.now()` to get Redis' time. */
  get offsetMs(): number {
    return this.#offsetMs;
  }

  /** Measures the offset now and again after every reconnection. */
  attach(redis: Redis): this {
    const measure = () => {
      this.measure(redis).catch(() => undefined);
    };
    redis.on('ready', measure);
    if (redis.status === 'ready') measure();
    return this;
  }

  /** One `TIME` round trip; the reply is assumed to be taken half-way. */
  async measure(redis: Redis): Promise<void> {
    const before = Date.now();
    const [seconds, micros] = await redis.time();
    const after = Date.now();
    this.#offsetMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - Math.round((before + after) / 2);
  }

  /** The Redis time `budgetMs` from now, in epoch milliseconds. */
  deadline(budgetMs: number): number {
    return Date.now() + this.#offsetMs + budgetMs;
  }
}
