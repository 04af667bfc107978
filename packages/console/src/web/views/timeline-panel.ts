import { getStats } from '../api/audit.js';
import { errorText, field, h, replace, select } from '../dom.js';
import type { StatsBucket } from '../lib/api-types.js';
import { formatBucket } from '../lib/format.js';
import {
  bucketToRange,
  customRange,
  fillBuckets,
  localInputToIso,
  presetRange,
  type RangePreset,
  type StatsRange,
} from '../lib/time-range.js';
import { createTimelineChart } from './chart.js';

/** The timeline section: range picker, chart, and the same buckets as a keyboard-usable table. */
export interface TimelinePanel {
  readonly element: HTMLElement;
  reload(): Promise<void>;
  dispose(): void;
}

const RANGE_OPTIONS = [
  ['hour', 'Last hour'],
  ['day', 'Last day'],
  ['week', 'Last week'],
  ['custom', 'Custom…'],
] as const;

/** `onBucket` receives the time range of a clicked bucket and a label for it. */
export function createTimelinePanel(
  onBucket: (range: { from: string; to: string }, label: string) => void,
): TimelinePanel {
  const preset = select('range', RANGE_OPTIONS, 'hour');
  const from = h('input', { type: 'datetime-local', name: 'range-from' });
  const to = h('input', { type: 'datetime-local', name: 'range-to' });
  const custom = h('div', { class: 'row', hidden: true }, field('From', from), field('To', to));
  const refresh = h('button', { type: 'submit' }, 'Show');
  const status = h('p', { class: 'status', role: 'status' });
  const plotBox = h('div', { class: 'chart', role: 'img', 'aria-label': 'Logins per time bucket' });
  const tableBody = h('tbody');
  const totals = h('p', { class: 'totals' });
  let buckets: StatsBucket[] = [];
  let range: StatsRange = presetRange('hour', new Date());

  function pick(index: number): void {
    const bucket = buckets[index];
    if (bucket) onBucket(bucketToRange(bucket.start, range.bucket), formatBucket(bucket.start, range.bucket));
  }
  const chart = createTimelineChart(plotBox, pick);

  function currentRange(): StatsRange | { error: string } {
    if (preset.value !== 'custom') return presetRange(preset.value as RangePreset, new Date());
    return customRange(localInputToIso(from.value), localInputToIso(to.value));
  }

  function renderTable(): void {
    replace(
      tableBody,
      ...buckets.map((bucket, index) =>
        h(
          'tr',
          {},
          h(
            'th',
            { scope: 'row' },
            h(
              'button',
              { type: 'button', class: 'link', onclick: () => pick(index) },
              formatBucket(bucket.start, range.bucket),
            ),
          ),
          h('td', {}, bucket.succeeded),
          h('td', {}, bucket.failed),
          h('td', {}, bucket.rateLimited),
        ),
      ),
    );
    const sum = (key: 'succeeded' | 'failed' | 'rateLimited') => buckets.reduce((n, b) => n + b[key], 0);
    totals.textContent = `In range: ${sum('succeeded')} succeeded, ${sum('failed')} failed, ${sum('rateLimited')} rate-limited. Click a point (or a bucket below) to list its events.`;
  }

  async function reload(): Promise<void> {
    const next = currentRange();
    if ('error' in next) {
      status.textContent = next.error;
      return;
    }
    range = next;
    status.textContent = 'Loading…';
    try {
      const reply = await getStats(range);
      buckets = fillBuckets(range, reply.buckets);
      chart.update(buckets);
      renderTable();
      status.textContent = '';
    } catch (error) {
      status.textContent = `Could not load the timeline: ${errorText(error)}`;
    }
  }

  preset.addEventListener('change', () => {
    custom.hidden = preset.value !== 'custom';
    if (preset.value !== 'custom') void reload();
  });
  const form = h('form', { class: 'row controls' }, field('Range', preset), custom, refresh);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void reload();
  });
  const table = h(
    'table',
    {},
    h('caption', {}, 'Logins per bucket'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Bucket'),
        h('th', { scope: 'col' }, 'Succeeded'),
        h('th', { scope: 'col' }, 'Failed'),
        h('th', { scope: 'col' }, 'Rate-limited'),
      ),
    ),
    tableBody,
  );
  const element = h(
    'section',
    { class: 'card timeline', 'aria-labelledby': 'timeline-title' },
    h('h2', { id: 'timeline-title' }, 'Logins over time'),
    form,
    status,
    plotBox,
    totals,
    h('details', {}, h('summary', {}, 'Buckets as a table'), h('div', { class: 'scroll' }, table)),
  );
  return { element, reload, dispose: () => chart.dispose() };
}
