/**
 * Gateway benchmark (npm run bench:gateway). At 50 connections, BENCH_SECONDS (10) each:
 * (a) the bare upstream, (b) a plain @fastify/reply-from proxy in front of it,
 * (c) the gateway with valid tokens of many distinct users, (d) GET /verify alone,
 * (e) a Fastify hello world. Prints req/s and p99, and the ratios c/b and d/e.
 * Then the revocation delay: from a logout response at gateway A to the first
 * 401 at gateway B (which had the session cached), over BENCH_LOGOUTS (1,000) logouts, and
 * the logout's own time (auth answers once both gateways have echoed the revocation barrier).
 * (f) nginx `proxy_pass` to the same upstream and (g) nginx `auth_request` → the gateway's
 * /verify → upstream, the setup the gateway replaces (nginx with one worker, keep-alive to both),
 * and (h) the proxy hop without reply-from (undici's pool.request in a Fastify route), for scale.
 * Targets: c/g ≥ 1.0, c/b ≥ 0.9, d/e ≥ 0.8, Redis commands per proxied request ≤ 0.05 (from
 * INFO commandstats around each case). BENCH_ROUNDS (1) runs the cases in
 * turn that many times and reports each figure's median, and each round's own ratios:
 * this machine's speed drifts. The services run from their compiled dist/ (npm run
 * bench:gateway builds them first), as the images run them.
 * Then (b) and (c) again at a steady BENCH_RATE (1,000) requests/s for BENCH_STEADY_SECONDS (30),
 * where nothing queues, BENCH_STEADY_ROUNDS (1) times in turn: the latency the gateway adds (target
 * p99 ≤ 1 ms) from the client, and inside each proxy (bench/gateway-steady.ts: its own time per
 * request, event-loop delay, GC pauses and stalls; BENCH_PIN=1 pins CPUs). BENCH_CASES (abcdefg) picks cases, e.g. BENCH_CASES=bc BENCH_LOGOUTS=0 to profile the
 * gateway against its baseline alone.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from '@gatehouse/auth';
import { startAuthProcess } from '@gatehouse/auth/testing';
import { closeRedis, createLogger, createPool, createRedis, type Redis } from '@gatehouse/runtime';
import {
  createTestDatabase,
  freePort,
  NODE_TS_ARGS,
  startRedis,
  startServiceProcess,
  waitFor,
} from '@gatehouse/runtime/testing';
import autocannon from 'autocannon';
import { authRequestDirectives, httpFiles, startNginx } from '../services/gateway/test/support/nginx.js';
import { probeEnv, steadyPhase } from './gateway-steady.js';

const CASES = process.env.BENCH_CASES ?? 'abcdefgh';
const mode = process.argv[2];
if (mode === 'upstream' || mode === 'hello' || mode === 'proxy' || mode === 'undici') {
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
  if (kind === 'undici') {
    // The proxy hop without reply-from: undici's pool.request, headers passed as they came.
    const { Pool } = await import('undici');
    const pool = new Pool(target as string, { connections: 128, pipelining: 1 });
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    app.all('/*', async (request, reply) => {
      const { host: _host, connection: _connection, ...headers } = request.headers;
      const res = await pool.request({
        path: request.url,
        method: request.method as 'GET',
        headers,
        body: request.method === 'GET' || request.method === 'HEAD' ? null : request.raw,
      });
      const { connection: _c, 'keep-alive': _k, 'transfer-encoding': _t, ...out } = res.headers;
      return reply.code(res.statusCode).headers(out).send(res.body);
    });
  }
  await app.listen({ host: '127.0.0.1', port });
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

async function helper(
  kind: string,
  target?: string,
  env: Record<string, string> = {},
): Promise<{ url: string; pid: number; stop(): void }> {
  const port = await freePort();
  const args = [...NODE_TS_ARGS, 'bench/gateway.ts', kind, String(port), ...(target ? [target] : [])];
  const child = spawn(process.execPath, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/`)).status > 0, 60_000, `${kind} helper`);
  return { url, pid: child.pid ?? 0, stop: () => child.kill('SIGTERM') };
}

interface Measured {
  name: string;
  rps: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** CPU time the front process(es) spent per request: robust even when the machine is busy. */
  cpuMicros: number;
  /** Redis commands per request (INFO commandstats, INFO itself excluded). */
  redisPerRequest: number;
}

/** Commands Redis has executed so far, the INFO calls that read it excluded. */
async function redisCommands(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let total = 0;
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (m[1] !== 'info') total += Number(m[2]);
  return total;
}

/** nginx, one worker, keep-alive to the upstream and the gateway: `/plain/` proxies, `/guarded/` asks /verify first. */
function benchNginxConfig(dir: string, port: number, gateway: string, upstream: string): string {
  const keepAlive = 'proxy_http_version 1.1; proxy_set_header Connection "";';
  return `
worker_processes 1;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {${httpFiles(dir)}
  upstream app { server ${new URL(upstream).host}; keepalive 128; }
  upstream gatehouse { server ${new URL(gateway).host}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    location /plain/ { proxy_pass http://app; ${keepAlive} }
    location /guarded/ {${authRequestDirectives('/_gatehouse_verify')}
      proxy_pass http://app; ${keepAlive}
    }
    location = /_gatehouse_verify {
      internal;
      proxy_pass http://gatehouse/verify;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      ${keepAlive}
    }
  }
}
`;
}

/** User + system CPU seconds of a process so far (Linux /proc). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function load(
  name: string,
  url: string,
  tokens: string[],
  seconds: number,
  pids: number[],
  redis: Redis,
): Promise<Measured> {
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
  const cpu = () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const cpuBefore = cpu();
  const commandsBefore = await redisCommands(redis);
  const r = await autocannon({ ...options, duration: seconds });
  const requests = Math.max(1, r.requests.total);
  const cpuMicros = ((cpu() - cpuBefore) * 1e6) / requests;
  return {
    name,
    rps: r.requests.average,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    cpuMicros,
    redisPerRequest: ((await redisCommands(redis)) - commandsBefore) / requests,
  };
}

/** Per figure, the median of several runs of one case. */
function median(runs: Measured[]): Measured {
  const mid = <K extends 'rps' | 'p99' | 'cpuMicros' | 'redisPerRequest'>(key: K) =>
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
    redisPerRequest: mid('redisPerRequest'),
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

async function revocationDelays(a: string, b: string, tokens: string[]) {
  const delays: number[] = [];
  const logoutMs: number[] = [];
  let refusedAtOnce = 0;
  for (const token of tokens) {
    const headers = { authorization: `Bearer ${token}` };
    if ((await fetch(`${b}/verify`, { headers })).status !== 200) throw new Error('warm-up at B failed');
    if ((await fetch(`${b}/verify`, { headers })).status !== 200) throw new Error('cached check at B failed');
    const sent = performance.now();
    const logout = await fetch(`${a}/auth/logout`, { method: 'POST', headers });
    if (logout.status !== 200) throw new Error(`logout failed: ${logout.status}`);
    await logout.arrayBuffer();
    const loggedOut = performance.now();
    // Includes the revocation barrier: auth answers once A and B have echoed it.
    logoutMs.push(loggedOut - sent);
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
  return { delays: delays.sort((x, y) => x - y), logoutMs: logoutMs.sort((x, y) => x - y), refusedAtOnce };
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
    const probeDir = await mkdtemp(join(tmpdir(), 'gatehouse-probe-'));
    cleanup.push(() => rm(probeDir, { recursive: true, force: true }));
    const proxy = await helper('proxy', upstream.url, probeEnv(probeDir));
    cleanup.push(() => proxy.stop());
    const undiciProxy = await helper('undici', upstream.url);
    cleanup.push(() => undiciProxy.stop());
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
      RATE_LIMIT_MODE: process.env.BENCH_RATE_LIMIT_MODE ?? 'local',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      ASSERTION_GENERATE_KEY: 'true',
      ASSERTION_KEY_FILE: join(keyDir, 'assertion.pem'),
      ...probeEnv(probeDir),
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
    const nginx = await startNginx(gatewayA.url, upstream.url, benchNginxConfig);
    cleanup.push(() => nginx.stop());
    const stats = createRedis({ url: redis.url, logger, name: 'bench-stats' });
    cleanup.push(() => closeRedis(stats));
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
    const gatewayPid = gatewayA.child.pid ?? 0;
    const cases: [string, string, number[]][] = (
      [
        ['(a) bare upstream', `${upstream.url}/api/orders`, [upstream.pid]],
        ['(b) plain reply-from proxy', `${proxy.url}/api/orders`, [proxy.pid]],
        ['(c) gateway, valid tokens (500 sessions, 100 users)', `${gatewayA.url}/api/orders`, [gatewayPid]],
        ['(d) gateway GET /verify', `${gatewayA.url}/verify`, [gatewayPid]],
        ['(e) Fastify hello world', `${hello.url}/`, [hello.pid]],
        ['(f) nginx proxy_pass', `${nginx.url}/plain/api/orders`, [nginx.pid]],
        [
          '(g) nginx auth_request → gateway /verify → upstream',
          `${nginx.url}/guarded/api/orders`,
          [nginx.pid, gatewayPid],
        ],
        ['(h) Fastify + undici pool.request proxy (no reply-from)', `${undiciProxy.url}/api/orders`, [undiciProxy.pid]],
      ] as [string, string, number[]][]
    ).filter(([name]) => CASES.includes(name[1] ?? ''));
    // The cases take turns, BENCH_ROUNDS times; each figure is the median of its rounds.
    const rounds: Measured[][] = cases.map(() => []);
    for (let round = 0; round < Number(process.env.BENCH_ROUNDS ?? 1); round++) {
      for (const [i, [name, url, pids]] of cases.entries())
        rounds[i]?.push(await load(name, url, loadTokens, seconds, pids, stats));
    }
    const results = rounds.map(median);
    const byCase = new Map(results.map((r) => [r.name[1], r]));
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}`);
    console.log(`load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
    console.log('case | req/s | p99 ms | non-2xx | errors | front process(es) CPU µs/request | Redis commands/request');
    for (const r of results)
      console.log(
        `${r.name} | ${Math.round(r.rps)} | ${r.p99} | ${r.non2xx} | ${r.errors} | ${r.cpuMicros.toFixed(0)} | ${r.redisPerRequest.toFixed(3)}`,
      );
    const [b, c, d, e, f, g] = ['b', 'c', 'd', 'e', 'f', 'g'].map((k) => byCase.get(k));
    // CPU-cost ratio: the throughput ratio a core to itself could reach.
    const cpu = (x: Measured, y: Measured) => (y.cpuMicros / x.cpuMicros).toFixed(2);
    if (b && c)
      console.log(
        `c/b = ${(c.rps / b.rps).toFixed(2)} (target ≥ 0.9), p99 added = ${c.p99 - b.p99} ms (target ≤ 1); CPU-cost ratio ${cpu(c, b)}`,
      );
    if (d && e) console.log(`d/e = ${(d.rps / e.rps).toFixed(2)} (target ≥ 0.8); CPU-cost ratio ${cpu(d, e)}`);
    if (c && g)
      console.log(
        `c/g = ${(c.rps / g.rps).toFixed(2)} (target ≥ 1.0: the gateway against nginx auth_request → /verify); CPU-cost ratio ${cpu(c, g)}`,
      );
    // Each round's own ratios: their spread is this machine's drift, which the medians hide.
    const key = (k: string) => cases.findIndex(([name]) => name[1] === k);
    const perRound = (x: string, y: string) =>
      rounds[key(x)]?.map((m, i) => (m.rps / (rounds[key(y)]?.[i]?.rps ?? Number.NaN)).toFixed(2)).join(' ');
    if ((rounds[0]?.length ?? 0) > 1)
      for (const [x, y] of [
        ['c', 'b'],
        ['d', 'e'],
        ['c', 'g'],
      ])
        if (key(x) >= 0 && key(y) >= 0) console.log(`  ${x}/${y} in each round: ${perRound(x, y)}`);
    if (f && b) console.log(`b/f = ${(b.rps / f.rps).toFixed(2)} (the Node proxy against nginx proxy_pass, for scale)`);
    const h = byCase.get('h');
    if (h && b)
      console.log(
        `h/b = ${(h.rps / b.rps).toFixed(2)} (undici pool.request against reply-from); CPU-cost ratio ${cpu(h, b)}`,
      );
    if (c)
      console.log(`Redis commands per proxied request (c), saturated: ${c.redisPerRequest.toFixed(3)} (target ≤ 0.05)`);
    if (b && c)
      await steadyPhase(
        {
          b: { url: proxy.url, pid: proxy.pid },
          c: { url: gatewayA.url, pid: gatewayPid },
          redis: stats,
          redisCommands,
          others: [upstream.pid, undiciProxy.pid, hello.pid, auth.child.pid ?? 0, gatewayB.child.pid ?? 0, nginx.pid],
          probeDir,
        },
        loadTokens,
      ).catch((err: unknown) => {
        console.error(`gateway A's last output:\n${gatewayA.output.slice(-20).join('\n')}`);
        throw err;
      });
    if (logouts === 0) return;
    const revocationTokens = await loginMany(gatewayA.url, users, logouts);
    const { delays, logoutMs, refusedAtOnce } = await revocationDelays(gatewayA.url, gatewayB.url, revocationTokens);
    const fmt = (values: number[], p: number) => percentile(values, p).toFixed(2);
    console.log(
      `revocation delay at gateway B over ${delays.length} logouts: p50 ${fmt(delays, 50)} ms, p99 ${fmt(delays, 99)} ms, max ${fmt(delays, 100)} ms; refused on the very next request: ${refusedAtOnce}/${delays.length}`,
    );
    console.log(
      `logout through gateway A (auth waits for both gateways' revocation barrier): p50 ${fmt(logoutMs, 50)} ms, p99 ${fmt(logoutMs, 99)} ms, max ${fmt(logoutMs, 100)} ms`,
    );
  } finally {
    for (const step of cleanup.reverse()) await Promise.resolve(step()).catch(() => undefined);
  }
}
