/**
 * Gateway benchmark (npm run bench:gateway). At 50 connections, BENCH_SECONDS (10) each:
 * (a) the bare upstream, (b) a plain @fastify/reply-from proxy in front of it,
 * (c) the gateway with valid tokens of many distinct users, (d) GET /verify alone,
 * (e) a Fastify hello world. Prints req/s and p99, and the ratios c/b and d/e.
 * Then the revocation delay: from a logout response at gateway A to the first
 * 401 at gateway B (which had the session cached), over BENCH_LOGOUTS (1,000) logouts.
 * Targets: c/b ≥ 0.9 with p99 added ≤ 1 ms, d/e ≥ 0.8. BENCH_ROUNDS (1) runs the cases in
 * turn that many times and reports each figure's median: this machine's speed drifts.
 * Then (b) and (c) again at a steady BENCH_RATE (1,000) requests/s, where nothing queues:
 * the latency the gateway itself adds. BENCH_CASES (abcde) picks cases, e.g. BENCH_CASES=bc BENCH_LOGOUTS=0 to profile the
 * gateway against its baseline alone.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, get } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from '@gatehouse/auth';
import { startAuthProcess } from '@gatehouse/auth/testing';
import { createLogger, createPool } from '@gatehouse/runtime';
import {
  createTestDatabase,
  freePort,
  NODE_TS_ARGS,
  startRedis,
  startServiceProcess,
  waitFor,
} from '@gatehouse/runtime/testing';
import autocannon from 'autocannon';

const CASES = process.env.BENCH_CASES ?? 'abcde';
const mode = process.argv[2];
if (mode === 'upstream' || mode === 'hello' || mode === 'proxy') {
  await serve(mode, Number(process.argv[3]), process.argv[4]);
} else {
  await main();
}

/** The helper servers, each in its own process so the load generator never shares their event loop. */
async function serve(kind: string, port: number, target?: string): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  if (kind === 'hello') app.get('/', async () => ({ hello: 'world' }));
  if (kind === 'upstream') {
    app.all('/*', async (request) => ({ ok: true, path: request.url, user: request.headers['x-user-id'] ?? null }));
  }
  if (kind === 'proxy') {
    const { default: replyFrom } = await import('@fastify/reply-from');
    await app.register(replyFrom, { base: target, undici: { connections: 128, pipelining: 1 } });
    app.all('/*', (request, reply) => reply.from(request.url));
  }
  await app.listen({ host: '127.0.0.1', port });
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

async function helper(kind: string, target?: string): Promise<{ url: string; pid: number; stop(): void }> {
  const port = await freePort();
  const args = [...NODE_TS_ARGS, 'bench/gateway.ts', kind, String(port), ...(target ? [target] : [])];
  const child = spawn(process.execPath, args, { stdio: 'inherit' });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/`)).status > 0, 20_000, `${kind} helper`);
  return { url, pid: child.pid ?? 0, stop: () => child.kill('SIGTERM') };
}

interface Measured {
  name: string;
  rps: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** CPU time the front process spent per request: robust even when the machine is busy. */
  cpuMicros: number;
}

/** User + system CPU seconds of a process so far (Linux /proc). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function load(name: string, url: string, tokens: string[], seconds: number, pid: number): Promise<Measured> {
  let i = 0;
  const options = {
    url,
    connections: 50,
    pipelining: 1,
    requests: [
      {
        method: 'GET' as const,
        setupRequest: (request: autocannon.Request) => {
          i = (i + 1) % tokens.length;
          return { ...request, headers: { authorization: `Bearer ${tokens[i]}` } };
        },
      },
    ],
  };
  await autocannon({ ...options, duration: 2 });
  const cpuBefore = cpuSeconds(pid);
  const r = await autocannon({ ...options, duration: seconds });
  const cpuMicros = ((cpuSeconds(pid) - cpuBefore) * 1e6) / Math.max(1, r.requests.total);
  return {
    name,
    rps: r.requests.average,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    cpuMicros,
  };
}

/** Per figure, the median of several runs of one case. */
function median(runs: Measured[]): Measured {
  const mid = <K extends 'rps' | 'p99' | 'cpuMicros'>(key: K) =>
    percentile(
      runs.map((r) => r[key]).sort((x, y) => x - y),
      50,
    );
  const first = runs[0] as Measured;
  return {
    ...first,
    rps: mid('rps'),
    p99: mid('p99'),
    cpuMicros: mid('cpuMicros'),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function loginMany(gateway: string, users: { username: string; password: string }[], n: number) {
  const tokens: string[] = [];
  const worker = async () => {
    while (tokens.length < n) {
      const user = users[tokens.length % users.length] as { username: string; password: string };
      const res = await fetch(`${gateway}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(user),
      });
      if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
      tokens.push(((await res.json()) as { accessToken: string }).accessToken);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return tokens.slice(0, n);
}

/**
 * Latency of GET `url` at a steady `rate` (requests/s) that leaves the CPU
 * idle most of the time, measured per request in microseconds (autocannon
 * reports whole milliseconds): what the gateway adds to a request when it is
 * not queueing behind others. Returns p50 and p99 in ms.
 */
async function latencyAtRate(url: string, tokens: string[], rate: number, seconds: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: 50 });
  const once = (token: string) =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
        res.resume();
        res.once('end', () =>
          res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`${res.statusCode}`)),
        );
      }).once('error', reject);
    });
  const run = async (count: number) => {
    const started = performance.now();
    const pending: Promise<number>[] = [];
    for (let i = 0; i < count; i++) {
      const wait = started + (i * 1000) / rate - performance.now();
      if (wait >= 1) await new Promise((r) => setTimeout(r, wait));
      pending.push(once(tokens[i % tokens.length] as string));
    }
    return (await Promise.all(pending)).sort((x, y) => x - y);
  };
  try {
    await run(rate);
    const latencies = await run(rate * seconds);
    return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  } finally {
    agent.destroy();
  }
}

async function revocationDelays(a: string, b: string, tokens: string[]) {
  const delays: number[] = [];
  let refusedAtOnce = 0;
  for (const token of tokens) {
    const headers = { authorization: `Bearer ${token}` };
    if ((await fetch(`${b}/verify`, { headers })).status !== 200) throw new Error('warm-up at B failed');
    if ((await fetch(`${b}/verify`, { headers })).status !== 200) throw new Error('cached check at B failed');
    const logout = await fetch(`${a}/auth/logout`, { method: 'POST', headers });
    if (logout.status !== 200) throw new Error(`logout failed: ${logout.status}`);
    await logout.arrayBuffer();
    const loggedOut = performance.now();
    for (let tries = 0; ; tries++) {
      const res = await fetch(`${b}/verify`, { headers });
      if (res.status === 401) {
        if (tries === 0) refusedAtOnce += 1;
        break;
      }
      if (tries > 10_000) throw new Error('session never refused at B');
    }
    delays.push(performance.now() - loggedOut);
  }
  return { delays: delays.sort((x, y) => x - y), refusedAtOnce };
}

async function main(): Promise<void> {
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const logouts = Number(process.env.BENCH_LOGOUTS ?? 1000);
  const logger = createLogger({ service: 'bench', level: 'warn', format: 'json' });
  const cleanup: (() => unknown)[] = [];
  try {
    const redis = await startRedis();
    cleanup.push(() => redis.stop());
    const db = await createTestDatabase();
    cleanup.push(() => db.drop());
    const keyDir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-'));
    cleanup.push(() => rm(keyDir, { recursive: true, force: true }));
    const upstream = await helper('upstream');
    cleanup.push(() => upstream.stop());
    const proxy = await helper('proxy', upstream.url);
    cleanup.push(() => proxy.stop());
    const hello = await helper('hello');
    cleanup.push(() => hello.stop());
    const auth = await startAuthProcess({
      databaseUrl: db.url,
      redisUrl: redis.url,
      keyFile: join(keyDir, 'k.pem'),
      env: {
        LOGIN_MAX_ATTEMPTS: '1000000',
        LOGIN_MAX_ATTEMPTS_PER_IP: '1000000',
        LOG_LEVEL: 'warn',
      },
    });
    cleanup.push(() => auth.kill());
    const gatewayEnv = {
      REDIS_URL: redis.url,
      AUTH_URL: auth.url,
      UPSTREAMS: `/api=${upstream.url}`,
      RATE_LIMIT_MAX: process.env.BENCH_RATE_LIMIT_MAX ?? '100000000',
      LOG_LEVEL: 'warn',
      ASSERTION_GENERATE_KEY: 'true',
      ASSERTION_KEY_FILE: join(keyDir, 'assertion.pem'),
    };
    const startGateway = async () => {
      const gateway = await startServiceProcess({
        entry: 'services/gateway/src/server.ts',
        port: await freePort(),
        env: gatewayEnv,
      });
      cleanup.push(() => gateway.kill());
      return gateway;
    };
    const gatewayA = await startGateway();
    const gatewayB = await startGateway();
    const pool = createPool({ url: db.url, logger, name: 'bench' });
    cleanup.push(() => pool.end());
    const users = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const user = { username: `bench_${randomBytes(5).toString('hex')}`, password: randomBytes(12).toString('hex') };
        await createUser({ pool }, { ...user, roles: ['user'] });
        return user;
      }),
    );
    const loadTokens = await loginMany(gatewayA.url, users, 500);
    const cases: [string, string, number][] = (
      [
        ['(a) bare upstream', `${upstream.url}/api/orders`, upstream.pid],
        ['(b) plain reply-from proxy', `${proxy.url}/api/orders`, proxy.pid],
        ['(c) gateway, valid tokens (500 sessions, 100 users)', `${gatewayA.url}/api/orders`, gatewayA.child.pid ?? 0],
        ['(d) gateway GET /verify', `${gatewayA.url}/verify`, gatewayA.child.pid ?? 0],
        ['(e) Fastify hello world', `${hello.url}/`, hello.pid],
      ] as [string, string, number][]
    ).filter(([name]) => CASES.includes(name[1] ?? ''));
    // The cases take turns, BENCH_ROUNDS times; each figure is the median of its rounds.
    const rounds: Measured[][] = cases.map(() => []);
    for (let round = 0; round < Number(process.env.BENCH_ROUNDS ?? 1); round++) {
      for (const [i, [name, url, pid]] of cases.entries())
        rounds[i]?.push(await load(name, url, loadTokens, seconds, pid));
    }
    const results = rounds.map(median);
    const byCase = new Map(results.map((r) => [r.name[1], r]));
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}`);
    console.log('case | req/s | p99 ms | non-2xx | errors | front process CPU µs/request');
    for (const r of results)
      console.log(
        `${r.name} | ${Math.round(r.rps)} | ${r.p99} | ${r.non2xx} | ${r.errors} | ${r.cpuMicros.toFixed(0)}`,
      );
    const [b, c, d, e] = ['b', 'c', 'd', 'e'].map((k) => byCase.get(k));
    // CPU-cost ratio: the throughput ratio a core to itself could reach.
    const cpu = (x: Measured, y: Measured) => (y.cpuMicros / x.cpuMicros).toFixed(2);
    if (b && c)
      console.log(
        `c/b = ${(c.rps / b.rps).toFixed(2)} (target ≥ 0.9), p99 added = ${c.p99 - b.p99} ms (target ≤ 1); CPU-cost ratio ${cpu(c, b)}`,
      );
    if (d && e) console.log(`d/e = ${(d.rps / e.rps).toFixed(2)} (target ≥ 0.8); CPU-cost ratio ${cpu(d, e)}`);
    const rate = Number(process.env.BENCH_RATE ?? 1000);
    if (b && c && rate > 0) {
      const [pb, pc] = [
        await latencyAtRate(`${proxy.url}/api/orders`, loadTokens, rate, seconds),
        await latencyAtRate(`${gatewayA.url}/api/orders`, loadTokens, rate, seconds),
      ];
      const ms = (n: number) => n.toFixed(2);
      console.log(
        `at a steady ${rate} req/s (not saturated): p50/p99 (b) ${ms(pb.p50)}/${ms(pb.p99)} ms, (c) ${ms(pc.p50)}/${ms(pc.p99)} ms; added: p50 ${ms(pc.p50 - pb.p50)} ms, p99 ${ms(pc.p99 - pb.p99)} ms`,
      );
    }
    if (logouts === 0) return;
    const revocationTokens = await loginMany(gatewayA.url, users, logouts);
    const { delays, refusedAtOnce } = await revocationDelays(gatewayA.url, gatewayB.url, revocationTokens);
    const fmt = (p: number) => percentile(delays, p).toFixed(2);
    console.log(
      `revocation delay at gateway B over ${delays.length} logouts: p50 ${fmt(50)} ms, p99 ${fmt(99)} ms, max ${fmt(100)} ms; refused on the very next request: ${refusedAtOnce}/${delays.length}`,
    );
  } finally {
    for (const step of cleanup.reverse()) await Promise.resolve(step()).catch(() => undefined);
  }
}
