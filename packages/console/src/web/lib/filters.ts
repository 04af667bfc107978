import type { ExportFormat } from './api-types.js';

/** The filters of `GET /audit/events`, `GET /audit/stream` and `POST /audit/exports`, in URL order. */
const FILTER_KEYS = ['userId', 'username', 'type', 'ip', 'sessionId', 'from', 'to'] as const;

/** One filter name. */
type FilterKey = (typeof FILTER_KEYS)[number];

/** Filters as the page holds them: only non-empty, trimmed strings; `from`/`to` are ISO-8601. */
export type EventFilters = Partial<Record<FilterKey, string>>;

/** The most events one page asks for (the API allows up to 1000). */
const PAGE_SIZE = 50;

/** Keeps known keys with non-blank values, trimmed. */
export function normalizeFilters(input: Readonly<Record<string, unknown>>): EventFilters {
  const filters: EventFilters = {};
  for (const key of FILTER_KEYS) {
    const value = input[key];
    if (typeof value === 'string' && value.trim() !== '') filters[key] = value.trim();
  }
  return filters;
}

/** `?a=1&b=2` from the defined, non-empty params in the given order, or `''` when there are none. */
export function buildQuery(params: ReadonlyArray<readonly [string, string | number | null | undefined]>): string {
  const search = new URLSearchParams();
  for (const [key, value] of params) {
    if (value === null || value === undefined || value === '') continue;
    search.append(key, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/** The query string of one `GET /audit/events` page. */
export function eventsQuery(filters: EventFilters, cursor: string | null, limit = PAGE_SIZE): string {
  return buildQuery([...FILTER_KEYS.map((key) => [key, filters[key]] as const), ['cursor', cursor], ['limit', limit]]);
}

/** The query string of `GET /audit/stream`: the same filters, without the time range (the stream is "from now"). */
export function streamQuery(filters: EventFilters): string {
  return buildQuery(FILTER_KEYS.filter((key) => key !== 'from' && key !== 'to').map((key) => [key, filters[key]]));
}

/** The JSON body of `POST /audit/exports`: the same filters as the table plus a format. */
export function exportBody(filters: EventFilters, format: ExportFormat): EventFilters & { format: ExportFormat } {
  return { ...normalizeFilters(filters), format };
}

/** Whether two filter sets ask for the same thing. */
export function sameFilters(a: EventFilters, b: EventFilters): boolean {
  return FILTER_KEYS.every((key) => (a[key] ?? '') === (b[key] ?? ''));
}
