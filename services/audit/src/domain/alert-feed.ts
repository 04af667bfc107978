import { type AuditAlertView, type AuditEventFilters, canonicalUsername } from '@gatehouse/contracts';
import type { Logger } from '@gatehouse/runtime';

/** Reads stored alerts (the repository). */
export interface AlertSource {
  alertsAfter(afterId: number, limit: number): Promise<AuditAlertView[]>;
  lastId(): Promise<number>;
}

interface Subscriber {
  filters: AuditEventFilters;
  send: (alert: AuditAlertView) => void;
}

/**
 * True unless a stream filter on the alert's subject kind names another
 * subject (a stream filtered on `username=alice` gets alice's alerts and IP
 * alerts, not bob's).
 */
function alertMatches(alert: AuditAlertView, f: AuditEventFilters): boolean {
  if (alert.subjectKind === 'username' && f.username !== undefined)
    return canonicalUsername(f.username) === alert.subject;
  if (alert.subjectKind === 'ip' && f.ip !== undefined) return f.ip === alert.subject;
  return true;
}

/**
 * Delivers new alerts to live-stream subscribers: one poller per process
 * reads `audit_alerts` by id (alerts may be raised by a worker in another
 * process), nudged by a local worker right after it stores alerts.
 */
export class AlertFeed {
  private readonly subscribers = new Set<Subscriber>();
  private after = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> = Promise.resolve();

  constructor(
    private readonly source: AlertSource,
    private readonly options: { pollMs: number; logger: Logger },
  ) {}

  /** Adds a subscriber for alerts raised from now on; returns its unsubscribe function. */
  async subscribe(filters: AuditEventFilters, send: Subscriber['send']): Promise<() => void> {
    if (this.subscribers.size === 0) this.after = await this.source.lastId();
    const subscriber = { filters, send };
    this.subscribers.add(subscriber);
    this.timer ??= setInterval(() => this.notify(), this.options.pollMs);
    return () => {
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0) this.stop();
    };
  }

  /** Polls now (after a local worker stored alerts). */
  notify(): void {
    if (this.subscribers.size === 0) return;
    this.polling = this.polling.then(() => this.poll());
  }

  /** Stops polling. */
  async close(): Promise<void> {
    this.subscribers.clear();
    this.stop();
    await this.polling;
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    try {
      const alerts = await this.source.alertsAfter(this.after, 500);
      for (const alert of alerts) {
        this.after = Math.max(this.after, alert.id);
        for (const s of this.subscribers) if (alertMatches(alert, s.filters)) s.send(alert);
      }
    } catch (err) {
      this.options.logger.warn({ err }, 'alert feed poll failed');
    }
  }
}
