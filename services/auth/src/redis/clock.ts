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

  /**
   * Takes a few `TIME` round trips and keeps the fastest: its reply is the one
   * least delayed by a busy event loop, so "taken half-way" is closest to true.
   */
  async measure(redis: Redis, samples = 5): Promise<void> {
    let best = { rtt: Number.POSITIVE_INFINITY, offset: 0 };
    for (let i = 0; i < samples; i++) {
      const [before, wallBefore] = [performance.now(), Date.now()];
      const [seconds, micros] = await redis.time();
      const [after, wallAfter] = [performance.now(), Date.now()];
      const redisMs = Number(seconds) * 1000 + Number(micros) / 1000;
      if (after - before < best.rtt) best = { rtt: after - before, offset: redisMs - (wallBefore + wallAfter) / 2 };
    }
    this.#offsetMs = Math.round(best.offset);
  }

  /** The Redis time `budgetMs` from now, in epoch milliseconds. */
  deadline(budgetMs: number): number {
    return Date.now() + this.#offsetMs + budgetMs;
  }
}
