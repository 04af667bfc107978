import { type LiveItem, readSse, reconnectDelay, toLiveItem } from './sse.js';

/** The state of the live tail, shown next to it. */
export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'stopped' | 'refused';

/** How {@link startLiveTail} connects and reports. */
export interface LiveTailOptions {
  /** Opens the stream (`GET /audit/stream` with the token); sends `Last-Event-ID` when given one. */
  open(signal: AbortSignal, lastEventId: string | undefined): Promise<Response>;
  onItem(item: LiveItem): void;
  onStatus(status: LiveStatus, detail?: string): void;
  /** Errors that end the tail instead of a reconnect (401, 403). */
  isFatal?(error: unknown): boolean;
  /** First reconnect delay; doubles up to 15 s unless the server sent `retry:`. */
  baseDelayMs?: number;
}

/** A running tail. */
export interface LiveTail {
  stop(): void;
  /** Settles when the tail has stopped for good. */
  readonly done: Promise<void>;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Reads `GET /audit/stream` with `fetch` (so the bearer token can be sent) and reconnects
 * after a drop, resuming from the last event id it saw.
 */
export function startLiveTail(options: LiveTailOptions): LiveTail {
  const controller = new AbortController();
  const { signal } = controller;
  let lastEventId: string | undefined;
  let retryMs: number | undefined;

  async function connectOnce(): Promise<void> {
    const response = await options.open(signal, lastEventId);
    if (!response.body) throw new Error('The live stream has no body.');
    options.onStatus('live');
    await readSse(
      response.body,
      {
        onMessage(message) {
          if (message.id) lastEventId = message.id;
          const item = toLiveItem(message);
          if (item) options.onItem(item);
        },
        onRetry(ms) {
          retryMs = ms;
        },
      },
      signal,
    );
  }

  async function run(): Promise<void> {
    let attempt = 0;
    let connected = false;
    while (!signal.aborted) {
      options.onStatus(connected ? 'reconnecting' : 'connecting');
      try {
        await connectOnce();
        connected = true;
        attempt = 0;
      } catch (error) {
        if (signal.aborted) break;
        if (options.isFatal?.(error)) {
          options.onStatus('refused', error instanceof Error ? error.message : String(error));
          return;
        }
        attempt += 1;
      }
      if (!signal.aborted) await sleep(retryMs ?? reconnectDelay(attempt, options.baseDelayMs), signal);
    }
    options.onStatus('stopped');
  }

  return { stop: () => controller.abort(), done: run() };
}
