import { sessionKey } from '@gatehouse/contracts';
import type { Logger, Redis } from '@gatehouse/runtime';

/**
 * Ends long-lived answers (the live stream) with the session that opened
 * them: every `intervalMs`, one pipelined `EXISTS session:{sid}` per distinct
 * session watched; a session gone (logout, revocation, expiry) or a check
 * that fails (fail closed, as the gateway does) ends its watchers. The timer
 * runs only while something is watched.
 */
export class SessionWatch {
  private readonly watchers = new Map<() => void, string>();
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(private readonly deps: { redis: Redis; logger: Logger; intervalMs: number }) {}

  /** Calls `onEnd` once `sessionId` has ended; returns the function that stops watching. */
  watch(sessionId: string, onEnd: () => void): () => void {
    this.watchers.set(onEnd, sessionId);
    this.timer ??= setInterval(() => void this.check(), this.deps.intervalMs);
    return () => this.unwatch(onEnd);
  }

  private unwatch(onEnd: () => void): void {
    this.watchers.delete(onEnd);
    if (this.watchers.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const live = await this.liveSessions([...new Set(this.watchers.values())]);
      for (const [onEnd, sessionId] of [...this.watchers]) {
        if (live.has(sessionId)) continue;
        this.unwatch(onEnd);
        onEnd();
      }
    } finally {
      this.checking = false;
    }
  }

  private async liveSessions(sessionIds: string[]): Promise<Set<string>> {
    try {
      const pipeline = this.deps.redis.pipeline();
      for (const sid of sessionIds) pipeline.exists(sessionKey(sid));
      const results = (await pipeline.exec()) ?? [];
      return new Set(sessionIds.filter((_, i) => results[i]?.[0] === null && results[i]?.[1] === 1));
    } catch (err) {
      this.deps.logger.warn({ err }, 'session check failed; ending the streams it guards');
      return new Set();
    }
  }
}
