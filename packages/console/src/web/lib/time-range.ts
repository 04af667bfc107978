import type { StatsBucket } from './api-types.js';

/** The ranges offered next to "custom". */
const RANGE_PRESETS = { hour: 3_600, day: 86_400, week: 604_800 } as const;

/** One of {@link RANGE_PRESETS}. */
export type RangePreset = keyof typeof RANGE_PRESETS;

/** Bucket widths in seconds the page asks for, smallest first; each divides a day or is a day. */
export const BUCKET_LADDER = [60, 300, 900, 1_800, 3_600, 10_800, 21_600, 43_200, 86_400] as const;

/** At most this many buckets are drawn (a wider bucket is chosen instead). */
export const MAX_BUCKETS = 120;

/** A stats query: ISO-8601 bounds (`from` inclusive, `to` exclusive) and a bucket width in seconds. */
export interface StatsRange {
  from: string;
  to: string;
  bucket: number;
}

/** The smallest ladder width that keeps `[fromMs, toMs)` within {@link MAX_BUCKETS} buckets. */
export function chooseBucketSeconds(fromMs: number, toMs: number, maxBuckets = MAX_BUCKETS): number {
  const spanSeconds = Math.max(1, (toMs - fromMs) / 1000);
  return BUCKET_LADDER.find((width) => spanSeconds / width <= maxBuckets) ?? BUCKET_LADDER[BUCKET_LADDER.length - 1];
}

/** Widens `[fromMs, toMs)` to whole buckets aligned on the Unix epoch (UTC), as SQL `date_bin` does. */
export function alignRange(fromMs: number, toMs: number, bucketSeconds: number): StatsRange {
  const width = bucketSeconds * 1000;
  const from = Math.floor(fromMs / width) * width;
  const to = Math.max(from + width, Math.ceil(toMs / width) * width);
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), bucket: bucketSeconds };
}

/** The range "last hour/day/week" ending with the bucket that holds `now`. */
export function presetRange(preset: RangePreset, now: Date): StatsRange {
  const span = RANGE_PRESETS[preset] * 1000;
  const bucket = chooseBucketSeconds(0, span);
  const width = bucket * 1000;
  const to = Math.floor(now.getTime() / width) * width + width;
  return { from: new Date(to - span).toISOString(), to: new Date(to).toISOString(), bucket };
}

/** A custom range from two ISO-8601 instants, or an error message naming the problem. */
export function customRange(fromIso: string, toIso: string): StatsRange | { error: string } {
  const fromMs = Date.parse(fromIso);
  const toMs = Date.parse(toIso);
  if (Number.isNaN(fromMs)) return { error: 'The start of the range is not a valid date.' };
  if (Number.isNaN(toMs)) return { error: 'The end of the range is not a valid date.' };
  if (toMs <= fromMs) return { error: 'The end of the range must be after its start.' };
  return alignRange(fromMs, toMs, chooseBucketSeconds(fromMs, toMs));
}

/** The events of one bucket: `from` = its start, `to` = start + width (exclusive). */
export function bucketToRange(startIso: string, bucketSeconds: number): { from: string; to: string } {
  const start = Date.parse(startIso);
  return { from: new Date(start).toISOString(), to: new Date(start + bucketSeconds * 1000).toISOString() };
}

/** Every bucket of the range in order, zero where the server sent none (it may omit empty buckets). */
export function fillBuckets(range: StatsRange, buckets: readonly StatsBucket[]): StatsBucket[] {
  const byStart = new Map(buckets.map((bucket) => [Date.parse(bucket.start), bucket]));
  const width = range.bucket * 1000;
  const filled: StatsBucket[] = [];
  for (let t = Date.parse(range.from); t < Date.parse(range.to); t += width) {
    const found = byStart.get(t);
    filled.push({
      start: new Date(t).toISOString(),
      succeeded: found?.succeeded ?? 0,
      failed: found?.failed ?? 0,
      rateLimited: found?.rateLimited ?? 0,
    });
  }
  return filled;
}

/** `YYYY-MM-DDTHH:mm` local time (the value of an `<input type="datetime-local">`) → ISO-8601, or `''`. */
export function localInputToIso(value: string): string {
  if (value.trim() === '') return '';
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? '' : new Date(ms).toISOString();
}

/** ISO-8601 → `YYYY-MM-DDTHH:mm[:ss]` local time for an `<input type="datetime-local">`, or `''`. */
export function isoToLocalInput(iso: string | undefined, withSeconds = false): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  const minutes = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
  return withSeconds ? `${minutes}:${pad(date.getSeconds())}` : minutes;
}
