import { listEvents } from '../api/audit.js';
import { errorText, h } from '../dom.js';
import type { EventFilters } from '../lib/filters.js';
import {
  currentCursor,
  firstPage,
  hasNextPage,
  hasPreviousPage,
  nextPage,
  type PagingState,
  previousPage,
  withNextCursor,
} from '../lib/paging.js';
import { createEventsTable } from './events-table.js';
import { createExportPanel } from './export-panel.js';
import { createFilterForm } from './filter-form.js';
import { createTimelinePanel } from './timeline-panel.js';
import type { View, ViewContext } from './view.js';

/** Timeline, filters, the paged events table and the export panel. */
export function createEventsView(context: ViewContext): View {
  let filters: EventFilters = {};
  let paging: PagingState = firstPage();
  let request = 0;
  const table = createEventsTable('Audit events, newest first', context.openUser);
  const status = h('p', { class: 'status', role: 'status' });
  const previous = h('button', { type: 'button', disabled: true }, 'Previous page');
  const next = h('button', { type: 'button', disabled: true }, 'Next page');
  const pageLabel = h('span', { class: 'page' });

  async function load(): Promise<void> {
    const mine = ++request;
    status.textContent = 'Loading events…';
    previous.disabled = true;
    next.disabled = true;
    try {
      const page = await listEvents(filters, currentCursor(paging));
      if (mine !== request) return;
      paging = withNextCursor(paging, page.nextCursor);
      table.render(page.events);
      status.textContent =
        page.events.length === 0 ? 'No events match these filters.' : `${page.events.length} events on this page.`;
    } catch (error) {
      if (mine === request) status.textContent = `Could not load events: ${errorText(error)}`;
    } finally {
      if (mine === request) {
        previous.disabled = !hasPreviousPage(paging);
        next.disabled = !hasNextPage(paging);
        pageLabel.textContent = `Page ${paging.page + 1}`;
      }
    }
  }

  function apply(newFilters: EventFilters): void {
    filters = newFilters;
    paging = firstPage();
    void load();
  }

  const form = createFilterForm(apply);
  const timeline = createTimelinePanel((range, label) => {
    const narrowed = { ...form.get(), from: range.from, to: range.to };
    form.set(narrowed);
    apply(narrowed);
    context.announce(`Events table filtered to the bucket ${label}.`);
  });
  const exporter = createExportPanel(() => filters);
  previous.addEventListener('click', () => {
    paging = previousPage(paging);
    void load();
  });
  next.addEventListener('click', () => {
    paging = nextPage(paging);
    void load();
  });

  const element = h(
    'div',
    { class: 'events-view' },
    timeline.element,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'events-title' },
      h('h2', { id: 'events-title' }, 'Events'),
      form.element,
      status,
      table.element,
      h('div', { class: 'pager' }, previous, pageLabel, next),
      exporter.element,
    ),
  );
  void timeline.reload();
  void load();
  return {
    element,
    dispose() {
      timeline.dispose();
      exporter.dispose();
    },
  };
}
