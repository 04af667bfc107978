/** The trace id (32 hex digits) inside a W3C `traceparent`, or `null`. */
export function traceIdOf(traceparent: string | null | undefined): string | null {
  const match = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/i.exec(traceparent ?? '');
  return match?.[1] ?? null;
}

/** A local date and time with seconds, or `—` when the value is missing or not a date. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return date.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** A short local label for a bucket start, precise to what the bucket width can tell apart. */
export function formatBucket(iso: string, bucketSeconds: number): string {
  const date = new Date(iso);
  const options: Intl.DateTimeFormatOptions =
    bucketSeconds >= 86_400
      ? { month: 'short', day: '2-digit' }
      : { month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit' };
  return date.toLocaleString(undefined, options);
}

/** A value for a table cell: the text, or `—` for null/empty. */
export function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  return String(value);
}
