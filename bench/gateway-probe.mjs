/**
 * Bench-only preload of bench/gateway.ts (`NODE_OPTIONS=--import <this file>` with
 * GATEHOUSE_PROBE_DIR set): what a proxy process itself stalls for at a steady rate,
 * measured inside it, so the scheduling noise of the other processes on the machine
 * does not count. Idle until the first SIGWINCH; the next SIGWINCH ends the window and
 * writes `probe-<pid>.json` to GATEHOUSE_PROBE_DIR. (SIGWINCH because its default is to do
 * nothing and close-with-grace shuts the services down on SIGUSR2.) Over the window it keeps:
 * - per request carrying `x-bench-id`, the time spent inside the process without the
 *   upstream's: request head parsed → upstream request head sent, plus upstream response
 *   head → response finished (Node's `http.server.*` and undici's diagnostics channels);
 * - the event-loop delay (`monitorEventLoopDelay`, 1 ms resolution) and utilisation;
 * - every GC pause (PerformanceObserver `gc`);
 * - every stall: a 1 ms interval that fired ≥ 1 ms late, with the GC time inside it and
 *   the process's CPU time during it (little CPU = the OS ran something else).
 * It is plain JavaScript because NODE_OPTIONS imports run before tsx is loaded.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';

const ID = 'x-bench-id';
const dir = process.env.GATEHOUSE_PROBE_DIR;
/** @type {ReturnType<typeof open> | null} */
let current = null;

if (dir)
  process.on('SIGWINCH', () => {
    if (current === null) current = open();
    else close(dir);
  });

function open() {
  const w = {
    started: performance.now(),
    elu: performance.eventLoopUtilization(),
    cpu: process.cpuUsage(),
    delay: monitorEventLoopDelay({ resolution: 1 }),
    /** @type {{ at: number, ms: number, kind: number }[]} */
    gc: [],
    /** @type {{ from: number, to: number, cpuMs: number }[]} */
    stalls: [],
    arrived: new Map(),
    sent: new Map(),
    head: new Map(),
    /** undici request → bench id */
    ids: new WeakMap(),
    inside: [],
    upstream: [],
    total: [],
    unmatched: 0,
  };
  w.delay.enable();
  w.observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) w.gc.push({ at: e.startTime, ms: e.duration, kind: e.detail?.kind ?? 0 });
  });
  w.observer.observe({ entryTypes: ['gc'] });
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  w.ticker = setInterval(() => {
    const now = performance.now();
    if (now - last >= 2) {
      const cpu = process.cpuUsage(lastCpu);
      w.stalls.push({ from: last, to: now, cpuMs: (cpu.user + cpu.system) / 1000 });
    }
    last = now;
    lastCpu = process.cpuUsage();
  }, 1);
  w.handlers = {
    'http.server.request.start': ({ request }) => {
      const id = request.headers[ID];
      if (typeof id === 'string') w.arrived.set(id, performance.now());
    },
    'undici:client:sendHeaders': ({ request, headers }) => {
      const at = typeof headers === 'string' ? headers.indexOf(`${ID}: `) : -1;
      if (at < 0) return;
      const id = headers.slice(at + ID.length + 2, headers.indexOf('\r\n', at));
      w.ids.set(request, id);
      w.sent.set(id, performance.now());
    },
    'undici:request:headers': ({ request }) => {
      const id = w.ids.get(request);
      if (id !== undefined) w.head.set(id, performance.now());
    },
    'http.server.response.finish': ({ request }) => {
      const id = request.headers[ID];
      if (typeof id !== 'string') return;
      const now = performance.now();
      const arrived = w.arrived.get(id);
      const sent = w.sent.get(id);
      const head = w.head.get(id);
      w.arrived.delete(id);
      w.sent.delete(id);
      w.head.delete(id);
      if (arrived === undefined || sent === undefined || head === undefined) return void w.unmatched++;
      w.inside.push(sent - arrived + (now - head));
      w.upstream.push(head - sent);
      w.total.push(now - arrived);
    },
  };
  for (const [name, handler] of Object.entries(w.handlers)) subscribe(name, handler);
  return w;
}

function close(into) {
  const w = /** @type {NonNullable<typeof current>} */ (current);
  current = null;
  const ended = performance.now();
  for (const [name, handler] of Object.entries(w.handlers)) unsubscribe(name, handler);
  clearInterval(w.ticker);
  w.delay.disable();
  w.observer.disconnect();
  const cpu = process.cpuUsage(w.cpu);
  const stalls = w.stalls.map((s) => {
    const gcMs = w.gc.filter((g) => g.at < s.to && g.at + g.ms > s.from).reduce((sum, g) => sum + g.ms, 0);
    const lateMs = s.to - s.from - 1;
    const cause = gcMs >= lateMs / 2 ? 'gc' : s.cpuMs < lateMs / 2 ? 'descheduled' : 'own work';
    return { atS: (s.from - w.started) / 1000, lateMs, gcMs, cpuMs: s.cpuMs, cause };
  });
  const ms = (ns) => ns / 1e6;
  const report = {
    pid: process.pid,
    seconds: (ended - w.started) / 1000,
    cpuMs: (cpu.user + cpu.system) / 1000,
    eventLoopUtilization: performance.eventLoopUtilization(w.elu).utilization,
    requests: w.inside.length,
    unmatched: w.unmatched,
    insideMs: summary(w.inside),
    upstreamMs: summary(w.upstream),
    totalMs: summary(w.total),
    eventLoopDelayMs: {
      p50: ms(w.delay.percentile(50)),
      p99: ms(w.delay.percentile(99)),
      max: ms(w.delay.max),
      mean: ms(w.delay.mean),
    },
    gc: {
      count: w.gc.length,
      byKind: Object.fromEntries(
        [...new Set(w.gc.map((g) => g.kind))].map((k) => [gcKind(k), w.gc.filter((g) => g.kind === k).length]),
      ),
      pauseMs: summary(w.gc.map((g) => g.ms)),
      totalMs: w.gc.reduce((sum, g) => sum + g.ms, 0),
      atLeast1ms: w.gc
        .filter((g) => g.ms >= 1)
        .map((g) => ({ atS: (g.at - w.started) / 1000, ms: g.ms, kind: gcKind(g.kind) })),
    },
    stalls: {
      count: stalls.length,
      byCause: Object.fromEntries(
        ['gc', 'descheduled', 'own work'].map((c) => [c, stalls.filter((s) => s.cause === c).length]),
      ),
      worst: stalls.sort((a, b) => b.lateMs - a.lateMs).slice(0, 10),
    },
  };
  writeFileSync(join(into, `probe-${process.pid}.json`), JSON.stringify(report));
}

function gcKind(kind) {
  return { 1: 'scavenge', 2: 'mark-compact', 4: 'incremental', 8: 'weak callbacks' }[kind] ?? String(kind);
}

/** p50, p99, p99.9 and max of a list of milliseconds. */
function summary(values) {
  const sorted = Float64Array.from(values).sort();
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
  return { p50: at(50), p99: at(99), p999: at(99.9), max: at(100) };
}
