import type { Logger } from 'pino';

/** One start-up step: a dependency call that is retried until it succeeds. */
export interface StartupStep {
  name: string;
  run: () => Promise<unknown>;
}

/** Where start-up stands, for `/readyz`. */
export interface StartupStatus {
  state: 'waiting' | 'running' | 'done' | 'stopped';
  /** The step being tried, while not done. */
  step: string | null;
  attempts: number;
  lastError: string | null;
}

/**
 * The dependency calls a service makes once before it is ready (migrations,
 * consumer groups, job schedules), run in order after the server listens and
 * each retried with capped exponential backoff: a Redis or PostgreSQL that is
 * slow or away at start-up makes the process wait (live, not ready, saying
 * what it waits for), never exit or crash-loop.
 *
 * @example
 * ```ts
 * const startup = new Startup({ logger });
 * startup.add('postgres migrations', () => migrateAudit(pool));
 * app.addHook('onReady', () => startup.start());
 * ```
 */
export class Startup {
  readonly status: StartupStatus = { state: 'waiting', step: null, attempts: 0, lastError: null };
  private readonly steps: StartupStep[] = [];
  private stopping = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: { logger: Logger; firstDelayMs?: number; maxDelayMs?: number }) {}

  /** Adds a step; steps run in the order they were added. */
  add(name: string, run: () => Promise<unknown>): void {
    if (this.running) throw new Error(`start-up step ${name} added after start-up began`);
    this.steps.push({ name, run });
  }

  /** Runs the steps in the background (once). */
  start(): void {
    this.running ??= this.runSteps();
  }

  /** Resolves when every step has succeeded (or start-up was stopped). */
  async done(): Promise<void> {
    await this.running;
  }

  /** Stops retrying; a step in flight is not waited for (closing the clients ends it). */
  stop(): void {
    this.stopping = true;
    this.wake?.();
    if (this.status.state !== 'done') this.status.state = 'stopped';
  }

  /** The readiness check: throws, naming the step and its last error, until every step succeeded. */
  readonly check = async (): Promise<unknown> => {
    const s = this.status;
    if (s.state === 'done') return 'done';
    if (s.step === null) throw new Error('start-up has not begun');
    const error = s.lastError ? `: ${s.lastError}` : '';
    throw new Error(`waiting for ${s.step} (attempt ${s.attempts})${error}`);
  };

  private async runSteps(): Promise<void> {
    this.status.state = 'running';
    for (const step of this.steps) {
      this.status.step = step.name;
      this.status.attempts = 0;
      this.status.lastError = null;
      if (!(await this.retry(step))) return;
    }
    this.status.state = 'done';
    this.status.step = null;
  }

  private async retry(step: StartupStep): Promise<boolean> {
    const log = this.options.logger.child({ step: step.name });
    let delay = this.options.firstDelayMs ?? 100;
    while (!this.stopping) {
      this.status.attempts += 1;
      try {
        await step.run();
        if (this.status.attempts > 1) log.info({ attempts: this.status.attempts }, 'start-up step succeeded');
        return !this.stopping;
      } catch (err) {
        if (this.stopping) return false;
        this.status.lastError = (err as Error).message;
        log.warn({ err, attempts: this.status.attempts, retryInMs: delay }, 'start-up step failed; retrying');
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      delay = Math.min(delay * 2, this.options.maxDelayMs ?? 5000);
    }
    return false;
  }
}
