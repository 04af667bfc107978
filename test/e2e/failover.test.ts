import { sessionKey } from '@gatehouse/contracts';
import { closeRedis, createLogger, createRedis, type Redis } from '@gatehouse/runtime';
import { startSentinelGroup, type TestSentinelGroup, waitFor } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack, type TestUser } from '../support/stack.js';

// The whole stack on a Sentinel group (primary, two replicas as in the prod
// overlay, three sentinels, down-after 1000 ms) under login + gateway + audit load; the primary is
// killed with SIGKILL. Sessions are written with REDIS_WAIT_REPLICAS=1, so
// what was answered 200 is on the replica the sentinels promote (with only
// one replica, no write could be confirmed after the failover).
let group: TestSentinelGroup;
let stack: Stack;
let redis: Redis;
beforeAll(async () => {
  group = await startSentinelGroup({ downAfterMs: 1000, replicas: 2 });
  stack = await startStack({
    env: {
      REDIS_SENTINELS: group.sentinels,
      REDIS_SENTINEL_NAME: group.name,
      REDIS_WAIT_REPLICAS: '1',
      // Generous: a cold start on a loaded 2-core box can stall a process' event loop for seconds,
      // and a failing command there stops audit's start-up. Failover errors are connection errors, not timeouts.
      REDIS_COMMAND_TIMEOUT_MS: '10000',
      AUDIT_CLAIM_IDLE_MS: '2000',
      AUDIT_CLAIM_INTERVAL_MS: '1000',
    },
  });
  const logger = createLogger({ service: 'failover-test', level: 'silent', format: 'json' });
  redis = createRedis({
    url: 'redis://',
    sentinels: group.sentinels,
    sentinelName: group.name,
    logger,
    name: 'inspect',
    role: 'blocking',
  });
}, 120_000);
afterAll(async () => {
  if (redis) await closeRedis(redis);
  await stack?.close();
  await group?.stop();
});

interface Outcome {
  at: number;
  status: number;
}

/** What the load saw: every answer, and the sessions by what happened to them. */
class Load {
  readonly logins: Outcome[] = [];
  /** Sessions whose login answered 200, with their token. */
  readonly granted = new Map<string, string>();
  /** Sessions whose logout answered 200. */
  readonly loggedOut = new Set<string>();
  /** A gateway check that let a logged-out session through, or refused a live one as unknown. */
  readonly violations: string[] = [];
  #running = true;

  constructor(
    private readonly gateway: string,
    private readonly users: TestUser[],
  ) {}

  async start(): Promise<void> {
    await Promise.all([...this.users.map((u) => this.#client(u)), this.#checker()]);
  }

  stop(): void {
    this.#running = false;
  }

  async #client(user: TestUser): Promise<void> {
    while (this.#running) {
      const res = await this.#post('/auth/login', undefined, { username: user.username, password: user.password });
      this.logins.push({ at: Date.now(), status: res.status });
      if (res.status !== 200) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      const { accessToken, sessionId } = (await res.json()) as { accessToken: string; sessionId: string };
      this.granted.set(sessionId, accessToken);
      const seen = await this.#verify(accessToken);
      if (seen === 401) this.violations.push(`live session ${sessionId} refused as unknown`);
      // Every other session is logged out, the rest stay live.
      if (this.granted.size % 2 === 0) continue;
      const out = await this.#post('/auth/logout', accessToken);
      if (out.status === 200) this.loggedOut.add(sessionId);
    }
  }

  /** Keeps asking the gateway about logged-out sessions: none may pass, before, during or after the switch. */
  async #checker(): Promise<void> {
    while (this.#running) {
      const sample = [...this.loggedOut].slice(-20);
      for (const sessionId of sample) {
        const status = await this.#verify(this.granted.get(sessionId) ?? '');
        if (status === 200) this.violations.push(`logged-out session ${sessionId} let through`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async #verify(token: string): Promise<number> {
    const res = await fetch(`${this.gateway}/verify`, { headers: { authorization: `Bearer ${token}` } });
    await res.arrayBuffer();
    return res.status;
  }

  async #post(path: string, token?: string, body?: unknown): Promise<Response> {
    const res = await fetch(`${this.gateway}${path}`, {
      method: 'POST',
      headers: {
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (res.status !== 200) await res.arrayBuffer();
    return res;
  }
}

describe('Redis failover under load', () => {
  it('recovers without restart, keeps every answered login and logout, and lets nothing through', async () => {
    const users = await Promise.all([stack.addUser(), stack.addUser(), stack.addUser()]);
    const load = new Load(stack.gateway.url, users);
    const running = load.start();
    const okLogins = () => load.logins.filter((l) => l.status === 200).length;
    try {
      await waitFor(async () => okLogins() >= 10 && load.loggedOut.size >= 3, 30_000, 'load before the failover');
      const primaryBefore = await group.primaryPort();
      const killedAt = Date.now();
      await group.primary.kill();
      const before = okLogins();
      await waitFor(async () => (await group.primaryPort()) !== primaryBefore, 30_000, 'the sentinels to fail over');
      await waitFor(async () => okLogins() >= before + 10, 30_000, 'logins after the failover').catch((err) => {
        console.log(JSON.stringify(countBy(load.logins.filter((l) => l.at > killedAt).map((l) => l.status))));
        for (const s of [stack.auth, stack.gateway, stack.audit]) console.log(s.output.slice(-15).join('\n'));
        throw err;
      });
      const after = load.logins.filter((l) => l.at > killedAt);
      const firstFailure = after.find((l) => l.status !== 200);
      const recovered = after.find((l) => l.status === 200 && l.at > (firstFailure?.at ?? killedAt));
      const window = firstFailure && recovered ? recovered.at - firstFailure.at : 0;
      console.log(
        `failover: unavailability window ${window} ms (first non-200 to first 200 login), kill to first 200 after it ${
          (recovered?.at ?? killedAt) - killedAt
        } ms; statuses after the kill: ${JSON.stringify(countBy(after.map((l) => l.status)))}`,
      );
      expect(after.every((l) => l.status === 200 || l.status === 503)).toBe(true);
    } finally {
      load.stop();
      await running;
    }
    expect(load.violations).toEqual([]);
    for (const service of [stack.auth, stack.audit, stack.gateway]) expect(service.child.exitCode).toBeNull();

    // Every login answered 200 has its session (unless logged out) on the new primary.
    const live = [...load.granted.keys()].filter((sid) => !load.loggedOut.has(sid));
    const exists = await Promise.all(live.map((sid) => redis.exists(sessionKey(sid))));
    expect(live.filter((_, i) => exists[i] !== 1)).toEqual([]);
    // Every logout answered 200 stays a logout at the gateway.
    for (const sid of load.loggedOut) {
      const res = await fetch(`${stack.gateway.url}/verify`, {
        headers: { authorization: `Bearer ${load.granted.get(sid)}` },
      });
      expect(res.status, `logged-out session ${sid}`).toBe(401);
    }
    // The audit consumer followed: every answered login and logout is in the trail, once.
    const missing = async () => {
      const { rows } = await stack.pool.query<{ session_id: string; type: string; n: string }>(
        'SELECT session_id, type, count(*) AS n FROM audit_events WHERE session_id = ANY($1) GROUP BY 1, 2',
        [[...load.granted.keys()]],
      );
      const stored = new Map(rows.map((r) => [`${r.type} ${r.session_id}`, Number(r.n)]));
      const wanted = [
        ...[...load.granted.keys()].map((sid) => `auth.login.succeeded ${sid}`),
        ...[...load.loggedOut].map((sid) => `auth.logout ${sid}`),
      ];
      return { absent: wanted.filter((k) => !stored.has(k)), twice: [...stored].filter(([, n]) => n > 1) };
    };
    await waitFor(async () => (await missing()).absent.length === 0, 30_000, 'the trail to hold every event');
    expect((await missing()).twice).toEqual([]);
  }, 150_000);
});

function countBy(values: number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
