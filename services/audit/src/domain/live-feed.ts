import { type AuditEventFilters, type AuditEventView, canonicalUsername } from '@gatehouse/contracts';
import type { Logger } from '@gatehouse/runtime';

/** One live subscriber: its filters, where it is, and how to send to it. */
interface Subscriber {
  filters: AuditEventFilters;
  after: number;
  send: (event: AuditEventView) => void;
}

/** Reads committed events in seq order (the repository) and the current head. */
export interface FeedSource {
  eventsAfter(afterSeq: number, limit: number): Promise<AuditEventView[]>;
  headSeq(): Promise<number>;
}

/** True when `event` passes every filter that is set. */
function matchesFilters(event: AuditEventView, f: AuditEventFilters): boolean {
  if (f.userId !== undefined && event.subject !== f.userId) return false;
  if (f.username !== undefined && event.username !== canonicalUsername(f.username)) return false;
  if (f.type !== undefined && event.type !== f.type) return false;
  if (f.ip !== undefined && event.ip !== f.ip) return false;
  if (f.sessionId !== undefined && event.sessionId !== f.sessionId) return false;
  const at = Date.parse(event.occurredAt);
  if (f.from !== undefined && at < Date.parse(f.from)) return false;
  return !(f.to !== undefined && at >= Date.parse(f.to));
}

/**
 * Delivers committed events to live subscribers. One poller per process
 * reads `seq > min(subscriber positions)` (so any replica serves any
 * subscriber, and `Last-Event-ID` resumes without a gap); the local
 * consumer nudges it after each commit for low latency.
 */
export class LiveFeed {
  private readonly subscribers = new Set<Subscriber>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private closed = false;
  private dirty = false;

  constructor(
    private readonly source: FeedSource,
    private readonly options: { pollMs: number; logger: Logger },
  ) {}

  /** Adds a subscriber from `afterSeq` (default: the current head); returns its unsubscribe function. */
  async subscribe(filters: AuditEventFilters, send: Subscriber['send'], afterSeq?: number): Promise<() => void> {
    const subscriber = { filters, send, after: afterSeq ?? (await this.source.headSeq()) };
    this.subscribers.add(subscriber);
    this.schedule(0);
    return () => this.subscribers.delete(subscriber);
  }

  /** Polls now (called after a local commit). */
  notify(): void {
    if (this.subscribers.size > 0) this.schedule(0);
  }

  /** Stops polling. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.polling;
  }

  private schedule(delayMs: number): void {
    if (this.polling) this.dirty = true;
    if (this.closed || this.polling) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.polling = this.poll().finally(() => {
        this.polling = undefined;
        const again = this.dirty ? 0 : this.options.pollMs;
        this.dirty = false;
        if (this.subscribers.size > 0) this.schedule(again);
      });
    }, delayMs);
  }

  private async poll(): Promise<void> {
    try {
      for (;;) {
        if (this.subscribers.size === 0) return;
        const from = Math.min(...[...this.subscribers].map((s) => s.after));
        const events = await this.source.eventsAfter(from, 500);
        for (const event of events) this.dispatch(event);
        if (events.length < 500) return;
      }
    } catch (err) {
      this.options.logger.warn({ err }, 'live feed poll failed');
    }
  }

  private dispatch(event: AuditEventView): void {
    for (const s of this.subscribers) {
      if (event.seq <= s.after) continue;
      s.after = event.seq;
      if (matchesFilters(event, s.filters)) s.send(event);
    }
  }
}
