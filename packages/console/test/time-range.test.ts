import { describe, expect, it } from 'vitest';
import {
  alignRange,
  BUCKET_LADDER,
  bucketToRange,
  chooseBucketSeconds,
  customRange,
  fillBuckets,
  isoToLocalInput,
  localInputToIso,
  MAX_BUCKETS,
  presetRange,
} from '../src/web/lib/time-range.js';

const NOW = new Date('2026-03-10T10:17:42.123Z');
const count = (range: { from: string; to: string; bucket: number }) =>
  (Date.parse(range.to) - Date.parse(range.from)) / (range.bucket * 1000);

describe('time ranges and buckets', () => {
  it('maps the presets to whole, epoch-aligned buckets ending with the one that holds now', () => {
    expect(presetRange('hour', NOW)).toEqual({
      from: '2026-03-10T09:18:00.000Z',
      to: '2026-03-10T10:18:00.000Z',
      bucket: 60,
    });
    const day = presetRange('day', NOW);
    expect(day).toEqual({ from: '2026-03-09T10:30:00.000Z', to: '2026-03-10T10:30:00.000Z', bucket: 900 });
    expect(count(day)).toBe(96);
    const week = presetRange('week', NOW);
    expect(week.bucket).toBe(10_800);
    expect(count(week)).toBe(56);
    expect(Date.parse(week.to)).toBeGreaterThan(NOW.getTime());
  });

  it('chooses the smallest ladder bucket that keeps the count within the maximum', () => {
    expect(chooseBucketSeconds(0, 60 * 60_000)).toBe(60);
    expect(chooseBucketSeconds(0, 121 * 60_000)).toBe(300);
    expect(chooseBucketSeconds(0, 10 * 365 * 86_400_000)).toBe(BUCKET_LADDER[BUCKET_LADDER.length - 1]);
    for (const span of [1, 3_600_000, 86_400_000, 2 * 86_400_000, 30 * 86_400_000]) {
      expect(span / 1000 / chooseBucketSeconds(0, span)).toBeLessThanOrEqual(MAX_BUCKETS);
    }
  });

  it('widens a custom range to whole buckets and names what is wrong with a bad one', () => {
    expect(customRange('2026-03-10T10:03:10Z', '2026-03-10T10:07:01Z')).toEqual({
      from: '2026-03-10T10:03:00.000Z',
      to: '2026-03-10T10:08:00.000Z',
      bucket: 60,
    });
    expect(customRange('', '2026-03-10T10:07:01Z')).toEqual({ error: 'The start of the range is not a valid date.' });
    expect(customRange('2026-03-10T10:00:00Z', 'nope')).toEqual({ error: 'The end of the range is not a valid date.' });
    expect(customRange('2026-03-10T10:00:00Z', '2026-03-10T10:00:00Z')).toEqual({
      error: 'The end of the range must be after its start.',
    });
  });

  it('maps a clicked bucket to [start, start + width)', () => {
    expect(bucketToRange('2026-03-10T10:15:00.000Z', 900)).toEqual({
      from: '2026-03-10T10:15:00.000Z',
      to: '2026-03-10T10:30:00.000Z',
    });
    expect(bucketToRange('2026-03-10T10:15:00+01:00', 60)).toEqual({
      from: '2026-03-10T09:15:00.000Z',
      to: '2026-03-10T09:16:00.000Z',
    });
  });

  it('fills the buckets the server left out with zeros, in order, ignoring any outside the range', () => {
    const range = alignRange(Date.parse('2026-03-10T10:00:00Z'), Date.parse('2026-03-10T10:04:00Z'), 60);
    const filled = fillBuckets(range, [
      { start: '2026-03-10T10:02:00.000Z', succeeded: 3, failed: 1, rateLimited: 0 },
      { start: '2026-03-10T10:00:00Z', succeeded: 1, failed: 0, rateLimited: 2 },
      { start: '2026-03-10T11:00:00Z', succeeded: 9, failed: 9, rateLimited: 9 },
    ]);
    expect(filled.map((b) => [b.start.slice(11, 16), b.succeeded, b.failed, b.rateLimited])).toEqual([
      ['10:00', 1, 0, 2],
      ['10:01', 0, 0, 0],
      ['10:02', 3, 1, 0],
      ['10:03', 0, 0, 0],
    ]);
  });

  it('converts datetime-local values to ISO and back in local time', () => {
    const iso = localInputToIso('2026-03-10T10:15');
    expect(new Date(iso).getHours()).toBe(10);
    expect(new Date(iso).getMinutes()).toBe(15);
    expect(isoToLocalInput(iso)).toBe('2026-03-10T10:15');
    expect(isoToLocalInput(localInputToIso('2026-03-10T10:15:09'), true)).toBe('2026-03-10T10:15:09');
    expect(localInputToIso('')).toBe('');
    expect(localInputToIso('garbage')).toBe('');
    expect(isoToLocalInput(undefined)).toBe('');
  });
});
