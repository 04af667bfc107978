import pg from 'pg';

/**
 * pg's own serializer of one query parameter, the one `pool.query` applies
 * (an array becomes a PostgreSQL array literal, a Date a timestamp with its
 * offset, a Buffer stays binary, a string passes unchanged): the consumer
 * runs it early, while the batch before is being stored. pg exposes it as
 * `pg.utils.prepareValue` but not in its types; it is read here only, and
 * test/adapters/pg.test.ts calls it against a real PostgreSQL, so an upgrade
 * that drops or changes it fails that test, not production.
 */
export const prepareValue: (value: unknown) => unknown = (
  pg as unknown as { utils: { prepareValue(value: unknown): unknown } }
).utils.prepareValue;
