import { FormatRegistry } from '@sinclair/typebox';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME = /^(\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Whether `value` is an RFC 3339 instant that JavaScript and PostgreSQL both
 * hold: years 0001 to 9999 (`0000-01-01T00:00:00Z` is a valid string but no
 * `timestamptz`), so an out-of-range date is refused as input, never a
 * database error.
 *
 * @example
 * ```ts
 * isInstant('2026-01-01T00:00:00Z'); // true
 * isInstant('0000-01-01T00:00:00Z'); // false
 * ```
 */
export function isInstant(value: string): boolean {
  const match = DATE_TIME.exec(value);
  return match !== null && Number(match[1]) >= 1 && !Number.isNaN(Date.parse(value));
}

/** Registers the string formats the contracts use with TypeBox's value checker. */
export function registerFormats(): void {
  if (!FormatRegistry.Has('uuid')) FormatRegistry.Set('uuid', (v) => UUID.test(v));
  if (!FormatRegistry.Has('date-time')) {
    FormatRegistry.Set('date-time', isInstant);
  }
}
