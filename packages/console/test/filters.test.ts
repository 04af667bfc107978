import { describe, expect, it } from 'vitest';
import {
  buildQuery,
  eventsQuery,
  exportBody,
  normalizeFilters,
  sameFilters,
  streamQuery,
} from '../src/web/lib/filters.js';

describe('query strings from filters', () => {
  it('keeps only known, non-blank filters, trimmed', () => {
    expect(
      normalizeFilters({ username: ' alice ', ip: '', type: '   ', sessionId: 's1', other: 'x', userId: 7 }),
    ).toEqual({
      username: 'alice',
      sessionId: 's1',
    });
  });

  it('builds the events query in a fixed order with cursor and limit, encoding values', () => {
    const query = eventsQuery(
      {
        to: '2026-01-01T01:00:00.000Z',
        username: 'a b&c',
        from: '2026-01-01T00:00:00.000Z',
        type: 'auth.login.failed',
      },
      'cur/+=',
      25,
    );
    expect(query).toBe(
      '?username=a+b%26c&type=auth.login.failed&from=2026-01-01T00%3A00%3A00.000Z&to=2026-01-01T01%3A00%3A00.000Z&cursor=cur%2F%2B%3D&limit=25',
    );
    const parsed = new URLSearchParams(query.slice(1));
    expect(parsed.get('username')).toBe('a b&c');
    expect(parsed.get('cursor')).toBe('cur/+=');
  });

  it('leaves the cursor out of the first page and defaults the limit', () => {
    expect(eventsQuery({}, null)).toBe('?limit=50');
  });

  it('drops the time range for the live stream, and is empty without filters', () => {
    expect(streamQuery({ username: 'bob', from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' })).toBe(
      '?username=bob',
    );
    expect(streamQuery({})).toBe('');
  });

  it('skips null, undefined and empty params', () => {
    expect(
      buildQuery([
        ['a', null],
        ['b', undefined],
        ['c', ''],
        ['d', 0],
      ]),
    ).toBe('?d=0');
  });

  it('puts the format beside the same filters in the export body', () => {
    expect(exportBody({ ip: '10.0.0.1', userId: '' }, 'csv')).toEqual({ ip: '10.0.0.1', format: 'csv' });
  });

  it('compares filter sets treating missing and empty alike', () => {
    expect(sameFilters({ ip: '1.2.3.4' }, { ip: '1.2.3.4', username: '' })).toBe(true);
    expect(sameFilters({ ip: '1.2.3.4' }, { ip: '1.2.3.5' })).toBe(false);
  });
});
