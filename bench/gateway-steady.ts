/**
 * The steady-rate phase of bench/gateway.ts: (b) the plain proxy and (c) the gateway in turn at
 * BENCH_RATE requests/s, measured from the client and, through bench/gateway-probe.mjs, inside
 * the proxy under test (its own time per request without the upstream's, event-loop delay, GC
 * pauses, stalls). With BENCH_PIN=1 the proxy under test and Redis run on the last CPU and the
 * bench's other processes on the others, for the phase only (off by default: on the shared 2-vCPU
 * VM it did not steady the baseline's p99; docs/performance.md).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Redis } from '@gatehouse/runtime';
import { waitFor } from '@gatehouse/runtime/testing';

/** The environment that loads the probe into a child process (idle until the bench signals it). */
export function probeEnv(dir: string): Record<string, string> {
  const probe = pathToFileURL(resolve('bench/gateway-probe.mjs')).href;
  return { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${probe}`.trim(), GATEHOUSE_PROBE_DIR: dir };
}

interface Summary {
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** What bench/gateway-probe.mjs writes at the end of a window. */
interface Probe {
  seconds: number;
  cpuMs: number;
  eventLoopUtilization: number;
  requests: number;
  unmatched: number;
  insideMs: Summary;
  upstreamMs: Summary;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  gc: { count: number; pauseMs: Summary; totalMs: number; byKind: Record<string, number> };
  stalls: {
    count: number;
    byCause: Record<string, number>;
    worst: { atS: number; lateMs: number; gcMs: number; cpuMs: number; cause: string }[];
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Pins every thread of each process to `cpuList` (taskset syntax, e.g. "1" or "0-1"). */
function pin(cpuList: string, pids: number[]): void {
  for (const pid of pids) spawnSync('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { stdio: 'ignore' });
}

/**
 * GET `url` at a steady `rate` for `seconds` after one second of warm-up, each request with its
 * own `x-bench-id`; the probe in process `probePid` watches the measured part. Client latencies
 * are per request in ms (autocannon reports whole milliseconds).
 */
async function latencyAtRate(
  url: string,
  tokens: string[],
  rate: number,
  seconds: number,
  probeDir: string,
  probePid: number,
) {
  const agent = new Agent({ keepAlive: true, maxSockets: 50 });
  let sent = 0;
  const once = (token: string) =>
    new Promise<number>((done, fail) => {
      const started = performance.now();
      const headers = { authorization: `Bearer ${token}`, 'x-bench-id': String(sent++) };
      get(url, { agent, headers }, (res) => {
        res.resume();
        res.once('end', () =>
          res.statusCode === 200 ? done(performance.now() - started) : fail(new Error(`${res.statusCode}`)),
        );
      }).once('error', fail);
    });
  const run = async (count: number) => {
    const started = performance.now();
    const pending: Promise<number>[] = [];
    let failed: unknown;
    for (let i = 0; i < count && failed === undefined; i++) {
      const wait = started + (i * 1000) / rate - performance.now();
      if (wait >= 1) await new Promise((r) => setTimeout(r, wait));
      // Caught at once: a rejection left for Promise.all would end the bench before its cleanup.
      pending.push(
        once(tokens[i % tokens.length] as string).catch((err: unknown) => {
          failed = err;
          return Number.NaN;
        }),
      );
    }
    const latencies = await Promise.all(pending);
    if (failed !== undefined) throw failed;
    return latencies.sort((x, y) => x - y);
  };
  try {
    await run(rate);
    rmSync(probeFile(probeDir, probePid), { force: true });
    process.kill(probePid, 'SIGWINCH');
    const latencies = await run(rate * seconds);
    process.kill(probePid, 'SIGWINCH');
    return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  } finally {
    agent.destroy();
  }
}

function probeFile(dir: string, pid: number): string {
  return join(dir, `probe-${pid}.json`);
}

async function readProbe(dir: string, pid: number): Promise<Probe> {
  const file = probeFile(dir, pid);
  let probe: Probe | undefined;
  await waitFor(
    async () => {
      probe = JSON.parse(readFileSync(file, 'utf8')) as Probe;
      return true;
    },
    10_000,
    `the probe of process ${pid}`,
  );
  return probe as Probe;
}

/** The steady phase's processes: the two proxies under test, Redis, and the rest of the bench. */
export interface SteadyTargets {
  b: { url: string; pid: number };
  c: { url: string; pid: number };
  redis: Redis;
  redisCommands(redis: Redis): Promise<number>;
  /** Every other process of the bench (load generator aside): upstream, auth, helpers, nginx. */
  others: number[];
  probeDir: string;
}

/**
 * Runs (b) and (c) in turn BENCH_STEADY_ROUNDS (1) times at BENCH_RATE (1,000) req/s for
 * BENCH_STEADY_SECONDS (30) each and prints, per run and as ranges, the client's p50/p99 and
 * what the probe saw inside the proxy.
 */
export async function steadyPhase(t: SteadyTargets, tokens: string[]): Promise<void> {
  const rate = Number(process.env.BENCH_RATE ?? 1000);
  const seconds = Number(process.env.BENCH_STEADY_SECONDS ?? 30);
  const rounds = Number(process.env.BENCH_STEADY_ROUNDS ?? 1);
  const pinned = process.env.BENCH_PIN === '1' && cpus().length >= 2;
  if (rate <= 0 || rounds <= 0) return;
  const redisPid = Number(/process_id:(\d+)/.exec(await t.redis.info('server'))?.[1]);
  const last = cpus().length - 1;
  const all = `0-${last}`;
  const everyPid = [process.pid, ...t.others, t.b.pid, t.c.pid, redisPid];
  if (pinned) {
    pin(last === 1 ? '0' : `0-${last - 1}`, [process.pid, ...t.others]);
    pin(String(last), [t.b.pid, t.c.pid, redisPid]);
  }
  const ms = (n: number) => n.toFixed(2);
  const rows: { name: string; client: { p50: number; p99: number }; probe: Probe; redis: number }[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [name, target] of [
        ['b', t.b],
        ['c', t.c],
      ] as const) {
        const before = await t.redisCommands(t.redis);
        const client = await latencyAtRate(`${target.url}/api/orders`, tokens, rate, seconds, t.probeDir, target.pid);
        const redis = ((await t.redisCommands(t.redis)) - before) / (rate * (seconds + 1));
        const probe = await readProbe(t.probeDir, target.pid);
        rows.push({ name, client, probe, redis });
        const g = probe.gc;
        console.log(
          `steady (${name}) round ${round + 1}: client p50/p99 ${ms(client.p50)}/${ms(client.p99)} ms | inside the proxy p50/p99/p99.9/max ${ms(probe.insideMs.p50)}/${ms(probe.insideMs.p99)}/${ms(probe.insideMs.p999)}/${ms(probe.insideMs.max)} ms (${probe.requests} requests, ${probe.unmatched} unmatched), upstream p99 ${ms(probe.upstreamMs.p99)} ms | event-loop delay p99/max ${ms(probe.eventLoopDelayMs.p99)}/${ms(probe.eventLoopDelayMs.max)} ms, utilisation ${(probe.eventLoopUtilization * 100).toFixed(1)}% | GC ${g.count} pauses ${JSON.stringify(g.byKind)}, p99/max ${ms(g.pauseMs.p99)}/${ms(g.pauseMs.max)} ms, total ${ms(g.totalMs)} ms | stalls ≥ 1 ms: ${probe.stalls.count} ${JSON.stringify(probe.stalls.byCause)} | CPU ${((probe.cpuMs * 1000) / Math.max(1, probe.requests)).toFixed(0)} µs/request | Redis ${redis.toFixed(3)}/request`,
        );
        for (const s of probe.stalls.worst.slice(0, 3))
          console.log(
            `  worst stall at ${s.atS.toFixed(1)} s: ${ms(s.lateMs)} ms late, GC ${ms(s.gcMs)} ms, process CPU ${ms(s.cpuMs)} ms → ${s.cause}`,
          );
      }
    }
  } finally {
    if (pinned) pin(all, everyPid);
  }
  const range = (name: string, pick: (r: (typeof rows)[number]) => number, digits = 2) => {
    const v = rows.filter((r) => r.name === name).map(pick);
    return `${Math.min(...v).toFixed(digits)}…${Math.max(...v).toFixed(digits)}`;
  };
  const added = rows
    .filter((r) => r.name === 'c')
    .map((c, i) => {
      const b = rows.filter((r) => r.name === 'b')[i] as (typeof rows)[number];
      const inside = `${ms(c.probe.insideMs.p50 - b.probe.insideMs.p50)}/${ms(c.probe.insideMs.p99 - b.probe.insideMs.p99)}`;
      return `${ms(c.client.p50 - b.client.p50)}/${ms(c.client.p99 - b.client.p99)} (inside ${inside})`;
    });
  console.log(
    `at a steady ${rate} req/s, ${rounds} × ${seconds} s each, CPUs ${pinned ? `pinned (proxy under test + Redis on CPU ${last})` : 'not pinned'}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}:`,
  );
  console.log(
    `  client p99 (b) ${range('b', (r) => r.client.p99)} ms, (c) ${range('c', (r) => r.client.p99)} ms; added p50/p99 per round, client (and inside the proxy): ${added.join(', ')} ms (target p99 ≤ 1)`,
  );
  console.log(
    `  inside the proxy p99 (b) ${range('b', (r) => r.probe.insideMs.p99)} ms, (c) ${range('c', (r) => r.probe.insideMs.p99)} ms; max (c) ${range('c', (r) => r.probe.insideMs.max)} ms; event-loop delay max (c) ${range('c', (r) => r.probe.eventLoopDelayMs.max)} ms; GC pause max (c) ${range('c', (r) => r.probe.gc.pauseMs.max)} ms; stalls ≥ 1 ms (c) ${range('c', (r) => r.probe.stalls.count, 0)}; Redis commands per request (c) ${range('c', (r) => r.redis, 3)} (target ≤ 0.05)`,
  );
}
