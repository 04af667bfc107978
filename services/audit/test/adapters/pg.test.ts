import { createLogger, createPool, type Pool } from '@gatehouse/runtime';
import { createTestDatabase, type TestDatabase } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareValue } from '../../src/adapters/pg.js';

let db: TestDatabase;
let pool: Pool;
beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool({
    url: db.url,
    logger: createLogger({ service: 'audit-test', level: 'silent', format: 'json' }),
    name: 'audit-test',
  });
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

// pg.utils.prepareValue is outside pg's types: an upgrade that drops it, or serializes the
// column arrays of the audit insert differently from pool.query, fails here.
describe("pg's prepareValue (pg.utils, untyped)", () => {
  it('is a function that turns an array into a literal and passes a string through', () => {
    expect(typeof prepareValue).toBe('function');
    expect(prepareValue(['a', null])).toBe('{"a",NULL}');
    expect(prepareValue('x')).toBe('x');
    expect(prepareValue(null)).toBeNull();
  });

  it('serializes the column arrays of the audit insert as PostgreSQL reads them back', async () => {
    const columns = [
      [1, 9_007_199_254_740_991],
      ['0190c9b1-7a40-7000-8000-000000000001'],
      ['quote " comma , brace } backslash \\ space ', null, ''],
      ['2026-01-02T03:04:05.678Z'],
      ['{"actor":{"username":"cli:ops"}}', null],
      [Buffer.from([0, 255, 16]), null],
    ];
    const { rows } = await pool.query(
      'SELECT $1::bigint[]::text[] AS a, $2::uuid[] AS b, $3::text[] AS c, $4::timestamptz[] AS d, $5::jsonb[] AS e, $6::bytea[] AS f',
      columns.map((column) => prepareValue(column)),
    );
    expect(rows[0].a).toEqual(['1', '9007199254740991']);
    expect(rows[0].b).toEqual(['0190c9b1-7a40-7000-8000-000000000001']);
    expect(rows[0].c).toEqual(['quote " comma , brace } backslash \\ space ', null, '']);
    expect(new Date(rows[0].d[0]).toISOString()).toBe('2026-01-02T03:04:05.678Z');
    expect(rows[0].e).toEqual([{ actor: { username: 'cli:ops' } }, null]);
    expect(rows[0].f).toEqual([Buffer.from([0, 255, 16]), null]);
  });
});
