/**
 * At most `slots` tasks at once; the others wait in arrival order. A finished
 * task hands its slot straight to the next in line, so a newcomer never
 * overtakes a waiting task.
 *
 * @example
 * ```ts
 * const turns = new Turns(2);
 * const digest = await turns.run(() => argon2.verify(hash, password));
 * ```
 */
export class Turns {
  #slots: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(slots: number) {
    this.#slots = Math.max(1, slots);
  }

  /** Tasks running now. */
  get running(): number {
    return this.#running;
  }

  /** Tasks waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Changes the number of slots; waiting tasks start at once if there is room. */
  resize(slots: number): void {
    this.#slots = Math.max(1, slots);
    while (this.#running < this.#slots && this.#waiting.length > 0) {
      this.#running++;
      this.#waiting.shift()?.();
    }
  }

  /** Runs `task` when a slot is free; settles as `task` does. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running < this.#slots) this.#running++;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
