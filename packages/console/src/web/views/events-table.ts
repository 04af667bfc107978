import { h, replace, uid } from '../dom.js';
import { type AuditEvent, EVENT_TYPE_LABELS } from '../lib/api-types.js';
import { cell, formatTime, traceIdOf } from '../lib/format.js';

const COLUMNS = ['', 'Time', 'Type', 'Username', 'User id', 'IP', 'Session', 'Reason'] as const;

/** The label of an event type (the type itself for one this console does not know yet). */
export function typeLabel(type: string): string {
  return (EVENT_TYPE_LABELS as Record<string, string>)[type] ?? type;
}

function details(event: AuditEvent): HTMLElement {
  const list = h('dl', { class: 'event-fields' });
  const traceId = traceIdOf(event.traceparent);
  const entries: [string, unknown][] = [...Object.entries(event), ['trace id', traceId]];
  for (const [key, value] of entries) {
    const shown = typeof value === 'object' && value !== null ? JSON.stringify(value) : cell(value);
    list.append(h('dt', {}, key), h('dd', {}, h('code', {}, shown)));
  }
  return list;
}

/** A user id rendered as a button that opens the user view, or a dash. */
function userButton(userId: string | null | undefined, openUser: (userId: string) => void): HTMLElement | string {
  if (!userId) return '—';
  return h(
    'button',
    { type: 'button', class: 'link', onclick: () => openUser(userId), title: 'Open this user' },
    userId,
  );
}

/** Two rows per event: the summary with an expand button, and the full event (hidden until expanded). */
function eventRows(event: AuditEvent, openUser: (userId: string) => void): HTMLTableRowElement[] {
  const detailId = uid('event');
  const toggle = h(
    'button',
    {
      type: 'button',
      class: 'expand',
      'aria-expanded': 'false',
      'aria-controls': detailId,
      'aria-label': `Show the full event ${event.id}`,
    },
    '▸',
  );
  const detailRow = h(
    'tr',
    { id: detailId, class: 'detail', hidden: true },
    h('td', { colspan: COLUMNS.length }, details(event)),
  );
  toggle.addEventListener('click', () => {
    const open = detailRow.hidden;
    detailRow.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = open ? '▾' : '▸';
  });
  const row = h(
    'tr',
    { class: `type-${event.type.replaceAll('.', '-')}` },
    h('td', {}, toggle),
    h('td', {}, h('time', { datetime: event.occurredAt }, formatTime(event.occurredAt))),
    h('td', {}, typeLabel(event.type)),
    h('td', {}, cell(event.username)),
    h('td', {}, userButton(event.subject, openUser)),
    h('td', {}, cell(event.ip)),
    h('td', { class: 'mono' }, cell(event.sessionId)),
    h('td', {}, cell(event.reason)),
  );
  return [row, detailRow];
}

/** An events table; `render` replaces its rows. */
export function createEventsTable(caption: string, openUser: (userId: string) => void) {
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'events' },
    h('caption', { class: 'sr-only' }, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...COLUMNS.map((name) => h('th', { scope: 'col' }, name || h('span', { class: 'sr-only' }, 'Details'))),
      ),
    ),
    body,
  );
  return {
    element: h('div', { class: 'scroll' }, table),
    render(events: readonly AuditEvent[]) {
      replace(body, ...events.flatMap((event) => eventRows(event, openUser)));
    },
    prepend(events: readonly AuditEvent[], max: number) {
      for (const event of events) body.prepend(...eventRows(event, openUser));
      while (body.rows.length > max * 2) body.lastElementChild?.remove();
    },
  };
}
