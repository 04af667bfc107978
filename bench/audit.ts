/**
 * Audit consumption benchmark (npm run bench:audit).
 * (a) N events XADDed, then the time until the consumer has stored them all, as events/s;
 * (b) a raw batched INSERT of the same rows into the same table, as rows/s; prints a/b;
 * (c) end-to-end lag (XADD → committed row) p50/p99 at a steady 1,000 events/s;
 * (d) (a) with 1, 2 and 4 consumers in the group (in this process, each with its own connections): every
 * batch takes the one chain-head row lock, so this measures contention on that head, not scale-out.
 * Targets: a/b ≥ 0.7, lag p99 ≤ 100 ms. (a) and (b) take turns BENCH_ROUNDS (3) times; medians are reported.
 */
import { cpus } from 'node:os';
import { AUDIT_GROUP, AUTH_EVENTS_STREAM, type AuthEvent, createAuthEvent } from '@gatehouse/contracts';
import { createLogger, createPool, createRedis, migrate, waitForRedis } from '@gatehouse/runtime';
import { createTestDatabase, startRedis } from '@gatehouse/runtime/testing';
import { AuthEventsConsumer } from '../services/audit/src/consumers/auth-events.consumer.js';
import { chainHash } from '../services/audit/src/domain/canonical.js';
import { toChained } from '../services/audit/src/domain/chain.js';
import { MIGRATIONS_DIR } from '../services/audit/src/migrate.js';
import { cpuByCommand, cpuPerOperation } from './cpu.js';

const N = Number(process.env.BENCH_EVENTS ?? 50_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const STEADY_SECONDS = Number(process.env.BENCH_STEADY_SECONDS ?? 30);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const logger = createLogger({ service: 'bench', level: 'warn', format: 'json' });

const server = await startRedis();
const db = await createTestDatabase();
const redis = createRedis({ url: server.url, logger, name: 'bench', commandTimeoutMs: 10_000 });
const blocking = createRedis({ url: server.url, logger, name: 'bench', role: 'blocking' });
await waitForRedis(redis);
const pool = createPool({ url: db.url, logger, name: 'bench' });
await migrate(pool, { service: 'audit', dir: MIGRATIONS_DIR });

const makeEvent = (i: number, at = new Date()): AuthEvent =>
  createAuthEvent(
    {
      type: i % 3 ? 'auth.login.failed' : 'auth.login.succeeded',
      source: 'auth',
      subject: `user-${i % 1000}`,
      username: `user${i % 1000}`,
      sessionId: `sid-${i}`,
      ip: `10.0.${i % 250}.${i % 200}`,
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) bench',
      reason: i % 3 ? 'invalid_credentials' : null,
    },
    at,
  );

async function reset() {
  await pool.query('TRUNCATE audit_events');
  await pool.query("UPDATE audit_chain_head SET seq = 0, hash = decode(repeat('00', 32), 'hex')");
}

let onStored: (rows: Array<{ id: string }>) => void = () => undefined;
const consumer = (name = 'bench') =>
  new AuthEventsConsumer(
    { redis, blocking, pool, logger, onStored: (rows) => onStored(rows) },
    {
      ref: { stream: AUTH_EVENTS_STREAM, group: AUDIT_GROUP, consumer: name },
      batchSize: BATCH,
      blockMs: 1000,
      claimIdleMs: 60_000,
      claimIntervalMs: 60_000,
      maxDeliveries: 5,
      retryMaxMs: 1000,
    },
  );

const events = Array.from({ length: N }, (_, i) => makeEvent(i));

/** (a) A backlog of N events in the stream, then the time until `count` consumers have stored them all. */
async function consumerRound(count = 1) {
  await reset();
  await redis.del(AUTH_EVENTS_STREAM);
  for (let i = 0; i < N; i += 1000) {
    const p = redis.pipeline();
    for (const e of events.slice(i, i + 1000)) p.xadd(AUTH_EVENTS_STREAM, '*', 'event', JSON.stringify(e));
    await p.exec();
  }
  let storedCount = 0;
  const finished = new Promise<void>((resolve) => {
    onStored = (rows) => {
      storedCount += rows.length;
      if (storedCount >= N) resolve();
    };
  });
  const cpuBefore = cpuByCommand();
  const started = performance.now();
  const group = Array.from({ length: count }, (_, i) => consumer(`bench-${i + 1}`));
  for (const c of group) c.start();
  await finished;
  const rate = N / ((performance.now() - started) / 1000);
  const cpu = cpuPerOperation(cpuBefore, cpuByCommand(), N);
  await Promise.all(group.map((c) => c.stop()));
  return { rate, cpu };
}

/** (b) A raw batched INSERT of the same rows into the same table (hashes computed before the timing). */
async function rawRound() {
  await reset();
  let prev: Buffer = Buffer.alloc(32);
  const rows = events.map((e, i) => {
    const chained = toChained(e, i + 1);
    const hash = chainHash(prev, chained);
    const row = { ...chained, prev, hash };
    prev = hash;
    return row;
  });
  const cpuBefore = cpuByCommand();
  const started = performance.now();
  for (let i = 0; i < rows.length; i += BATCH) {
    const chunk = rows.slice(i, i + BATCH);
    const col = <T>(f: (r: (typeof rows)[number]) => T) => chunk.map(f);
    await pool.query(
      `INSERT INTO audit_events (seq, event_id, type, version, occurred_at, source, user_id, username, session_id, ip,
        user_agent, reason, traceparent, extra, stream_id, stored_at, prev_hash, hash)
       SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::int[], $5::timestamptz[], $6::text[], $7::text[],
        $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::jsonb[], $15::text[],
        $16::timestamptz[], $17::bytea[], $18::bytea[])`,
      [
        col((r) => r.seq),
        col((r) => r.id),
        col((r) => r.type),
        col((r) => r.version),
        col((r) => r.occurredAt),
        col((r) => r.source),
        col((r) => r.subject),
        col((r) => r.username),
        col((r) => r.sessionId),
        col((r) => r.ip),
        col((r) => r.userAgent),
        col((r) => r.reason),
        col((r) => r.traceparent),
        col(() => null),
        col(() => '0-0'),
        col(() => new Date().toISOString()),
        col((r) => r.prev),
        col((r) => r.hash),
      ],
    );
  }
  const rate = N / ((performance.now() - started) / 1000);
  return { rate, cpu: cpuPerOperation(cpuBefore, cpuByCommand(), N) };
}

// (a) and (b) take turns, BENCH_ROUNDS times; each rate is the median of its rounds (this machine's speed drifts).
const consumerRounds: Awaited<ReturnType<typeof consumerRound>>[] = [];
const rawRounds: Awaited<ReturnType<typeof rawRound>>[] = [];
for (let round = 0; round < ROUNDS; round++) {
  consumerRounds.push(await consumerRound());
  rawRounds.push(await rawRound());
}
const medianOf = <T extends { rate: number }>(runs: T[]) =>
  [...runs].sort((x, y) => x.rate - y.rate)[Math.floor(runs.length / 2)] as T;
const { rate: aRate, cpu: aCpuPerEvent } = medianOf(consumerRounds);
const { rate: bRate, cpu: bCpuPerRow } = medianOf(rawRounds);

// (d) 1, 2 and 4 consumers in the group, taking turns BENCH_ROUNDS times; medians.
const GROUP_SIZES = [1, 2, 4];
const groupRounds = new Map<number, Awaited<ReturnType<typeof consumerRound>>[]>(GROUP_SIZES.map((k) => [k, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const k of GROUP_SIZES) groupRounds.get(k)?.push(await consumerRound(k));
}

// (c) steady 1,000 events/s; lag = commit (consumer callback after COMMIT) − XADD time.
await reset();
const sentAt = new Map<string, number>();
const lags: number[] = [];
onStored = (stored) => {
  const now = performance.now();
  for (const r of stored) {
    const t = sentAt.get(r.id);
    if (t !== undefined) lags.push(now - t);
  }
};
const c2 = consumer();
c2.start();
const total = STEADY_SECONDS * 1000;
const t0 = performance.now();
let sent = 0;
while (sent < total) {
  const due = Math.min(total, Math.floor(performance.now() - t0));
  if (due > sent) {
    const p = redis.pipeline();
    for (; sent < due; sent++) {
      const e = makeEvent(sent);
      sentAt.set(e.id, performance.now());
      p.xadd(AUTH_EVENTS_STREAM, '*', 'event', JSON.stringify(e));
    }
    await p.exec();
  }
  await new Promise((r) => setTimeout(r, 5));
}
while (lags.length < total) await new Promise((r) => setTimeout(r, 50));
await c2.stop();
lags.sort((x, y) => x - y);
const pct = (p: number) => lags[Math.min(lags.length - 1, Math.floor((p / 100) * lags.length))] ?? 0;

console.log(`machine: ${cpus().length} CPUs, ${cpus()[0]?.model}, node ${process.version}`);
const rates = (runs: { rate: number }[]) => runs.map((r) => r.rate.toFixed(0)).join(', ');
console.log(
  `(a) consumer: ${N} events stored at ${aRate.toFixed(0)} events/s, median of ${ROUNDS} (${rates(consumerRounds)}; batch ${BATCH})`,
);
console.log(`(b) raw batched INSERT: ${bRate.toFixed(0)} rows/s, median of ${ROUNDS} (${rates(rawRounds)})`);
const cpu = (rows: (readonly [string, number])[]) =>
  rows.map(([name, micros]) => `${name} ${micros.toFixed(1)}`).join(', ');
console.log(`CPU µs per event in (a), by process: ${cpu(aCpuPerEvent)}`);
console.log(`CPU µs per row in (b), by process: ${cpu(bCpuPerRow)}`);
console.log(`a/b = ${(aRate / bRate).toFixed(2)} (target >= 0.7)`);
console.log(
  `(c) lag at 1,000 events/s over ${STEADY_SECONDS} s: p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms, max ${pct(100).toFixed(1)} ms (target p99 <= 100 ms)`,
);

const single = medianOf(groupRounds.get(1) ?? []).rate;
for (const k of GROUP_SIZES) {
  const runs = groupRounds.get(k) ?? [];
  console.log(
    `(d) ${k} consumer${k > 1 ? 's' : ''} in the group: ${medianOf(runs).rate.toFixed(0)} events/s, median of ${ROUNDS} (${rates(runs)}); ${(medianOf(runs).rate / single).toFixed(2)}× one consumer`,
  );
}

redis.disconnect();
blocking.disconnect();
await pool.end();
await db.drop();
await server.stop();
