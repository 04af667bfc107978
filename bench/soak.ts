/**
 * Audit memory soak (npm run bench:soak): one audit process (a real child)
 * under everything at once for BENCH_SOAK_SECONDS (120):
 * - ingestion at BENCH_SOAK_RATE (2,000) events/s XADDed to `auth-events`,
 *   with the detection job running every AUDIT_DETECT_INTERVAL_MS (5 s),
 * - an export of BENCH_SOAK_EXPORT_ROWS (1,000,000) rows, requested at the start,
 * - BENCH_SOAK_CLIENTS (20) live-stream clients on `GET /audit/stream`.
 * Prints the peak RSS of the audit process (the kernel's VmHWM). Target: ≤ 384 MiB
 * (three quarters of the 512 Mi limit in deploy/k8s).
 * The export's rows are inserted by SQL with placeholder hashes (the export
 * does not verify the chain; the detection position starts at their end).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUTH_EVENTS_STREAM, createAuthEvent } from '@gatehouse/contracts';
import { createLogger, createPool, createRedis, waitForRedis } from '@gatehouse/runtime';
import { createTestDatabase, freePort, startRedis, startServiceProcess } from '@gatehouse/runtime/testing';
import { migrateAudit } from '../services/audit/src/migrate.js';

const SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 120);
const RATE = Number(process.env.BENCH_SOAK_RATE ?? 2000);
const EXPORT_ROWS = Number(process.env.BENCH_SOAK_EXPORT_ROWS ?? 1_000_000);
const CLIENTS = Number(process.env.BENCH_SOAK_CLIENTS ?? 20);
const AUDITOR = { 'x-user-roles': 'auditor', 'x-user-id': 'soak', 'x-username': 'soak', 'x-session-id': 's-soak' };
const logger = createLogger({ service: 'bench', level: 'warn', format: 'json' });

const server = await startRedis();
const db = await createTestDatabase();
const dir = await mkdtemp(join(tmpdir(), 'gatehouse-soak-'));
const redis = createRedis({ url: server.url, logger, name: 'bench', commandTimeoutMs: 10_000 });
await waitForRedis(redis);
const pool = createPool({ url: db.url, logger, name: 'bench' });
await migrateAudit(pool);
/** Whatever happens, the Redis server, the database and the files go. */
let stopAudit = async (): Promise<unknown> => undefined;
async function cleanUp() {
  await stopAudit();
  redis.disconnect();
  await pool.end();
  await Promise.all([server.stop(), db.drop(), rm(dir, { recursive: true, force: true })]);
}

try {
  let started = performance.now();
  // In chunks: one statement for a million rows would outlast the pool's statement timeout.
  for (let from = 1; from <= EXPORT_ROWS; from += 50_000) {
    await pool.query(
      `INSERT INTO audit_events (seq, event_id, type, version, occurred_at, source, user_id, username, session_id,
     ip, user_agent, reason, stream_id, stored_at, prev_hash, hash)
   SELECT g, gen_random_uuid(), 'auth.login.failed', 1, now() - interval '2 days' + g * interval '1 ms', 'auth',
     'u' || (g % 1000), 'user' || (g % 1000), 'sid-' || g, '10.0.' || (g % 250) || '.1',
     'Mozilla/5.0 (X11; Linux x86_64) soak', 'invalid_credentials', '0-' || g, now(), '\\x00', sha256(g::text::bytea)
   FROM generate_series($1::int, $2::int) g`,
      [from, Math.min(from + 49_999, EXPORT_ROWS)],
    );
  }
  await pool.query('UPDATE audit_chain_head SET seq = $1, hash = sha256($2::bytea)', [
    EXPORT_ROWS,
    String(EXPORT_ROWS),
  ]);
  await pool.query('UPDATE audit_detection_state SET last_seq = $1', [EXPORT_ROWS]);
  console.log(`prefilled ${EXPORT_ROWS} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const audit = await startServiceProcess({
    entry: 'services/audit/src/server.ts',
    port: await freePort(),
    env: {
      DATABASE_URL: db.url,
      REDIS_URL: server.url,
      AUDIT_GENERATE_KEY: 'true',
      AUDIT_DIGEST_KEY_FILE: join(dir, 'digest.pem'),
      AUDIT_EXPORT_DIR: join(dir, 'exports'),
      LOG_LEVEL: 'warn',
    },
  });
  stopAudit = () => audit.kill('SIGKILL');
  const pid = audit.child.pid as number;
  const rssMiB = async (field: 'VmRSS' | 'VmHWM') => {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
  };
  const baseline = await rssMiB('VmRSS');

  const streams = new AbortController();
  let sseBytes = 0;
  const clients = Array.from({ length: CLIENTS }, async () => {
    const response = await fetch(`${audit.url}/audit/stream`, { headers: AUDITOR, signal: streams.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      sseBytes += value.length;
    }
  });
  for (const c of clients) c.catch(() => undefined);

  const exportReply = await fetch(`${audit.url}/audit/exports`, {
    method: 'POST',
    headers: { ...AUDITOR, 'content-type': 'application/json' },
    body: JSON.stringify({ format: 'ndjson' }),
  });
  const { id: exportId } = (await exportReply.json()) as { id: string };

  started = performance.now();
  let sent = 0;
  const elapsed = () => (performance.now() - started) / 1000;
  while (elapsed() < SECONDS) {
    const due = Math.floor(elapsed() * RATE) - sent;
    if (due > 0) {
      const pipeline = redis.pipeline();
      for (let i = 0; i < due; i++) {
        const n = sent + i;
        const event = createAuthEvent({
          type: n % 3 ? 'auth.login.failed' : 'auth.login.succeeded',
          source: 'auth',
          subject: `user-${n % 1000}`,
          username: `user${n % 1000}`,
          sessionId: `sid-${n}`,
          ip: `10.1.${n % 250}.${n % 200}`,
          userAgent: 'Mozilla/5.0 (X11; Linux x86_64) soak',
          reason: n % 3 ? 'invalid_credentials' : null,
        });
        pipeline.xadd(AUTH_EVENTS_STREAM, '*', 'event', JSON.stringify(event));
      }
      await pipeline.exec();
      sent += due;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const exportView = (await (await fetch(`${audit.url}/audit/exports/${exportId}`, { headers: AUDITOR })).json()) as {
    state: string;
    rowCount: number | null;
  };
  const stored = Number((await pool.query('SELECT max(seq) AS s FROM audit_events')).rows[0].s) - EXPORT_ROWS;
  const peak = await rssMiB('VmHWM');
  streams.abort();
  await audit.kill('SIGTERM');

  console.log(
    JSON.stringify(
      {
        seconds: SECONDS,
        rate: RATE,
        sent,
        stored,
        exportRows: EXPORT_ROWS,
        exportState: exportView.state,
        liveClients: CLIENTS,
        sseBytes,
        baselineRssMiB: Math.round(baseline),
        peakRssMiB: Math.round(peak),
        targetMiB: 384,
      },
      null,
      2,
    ),
  );
} finally {
  await cleanUp();
}
