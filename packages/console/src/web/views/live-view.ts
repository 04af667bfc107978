import { openStream } from '../api/audit.js';
import { ApiError } from '../api/client.js';
import { field, h } from '../dom.js';
import type { AuditAlert } from '../lib/api-types.js';
import { normalizeFilters } from '../lib/filters.js';
import { formatTime } from '../lib/format.js';
import { type LiveStatus, type LiveTail, startLiveTail } from '../lib/live-tail.js';
import { createEventsTable } from './events-table.js';
import { typeSelect } from './filter-form.js';
import type { View, ViewContext } from './view.js';

const MAX_ROWS = 200;
const STATUS_TEXT: Record<LiveStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live: new events appear at the top.',
  reconnecting: 'Connection lost, reconnecting…',
  stopped: 'Paused.',
  refused: 'The live stream was refused.',
};

/** Live tail of `GET /audit/stream`: events (and alerts) appear without reloading. */
export function createLiveView(context: ViewContext): View {
  const username = h('input', { name: 'username', autocomplete: 'off' });
  const ip = h('input', { name: 'ip', autocomplete: 'off' });
  const type = typeSelect();
  const toggle = h('button', { type: 'button', class: 'primary' }, 'Pause');
  const status = h('p', { class: 'status', role: 'status' });
  const table = createEventsTable('Live events, newest first', context.openUser);
  const alerts = h('ul', { class: 'live-alerts', 'aria-label': 'Alerts seen live' });
  let tail: LiveTail | null = null;
  let started = false;
  let generation = 0;

  function showAlert(alert: AuditAlert): void {
    alerts.prepend(h('li', { class: 'alert' }, `${formatTime(alert.createdAt)} — ${alert.rule}: ${alert.subject}`));
    context.announce(`New alert: ${alert.rule} for ${alert.subject}`);
  }

  function start(): void {
    tail?.stop();
    const mine = ++generation;
    const filters = normalizeFilters({ username: username.value, ip: ip.value, type: type.value });
    toggle.textContent = 'Pause';
    tail = startLiveTail({
      open: (signal, lastEventId) => openStream(filters, signal, lastEventId),
      onItem: (item) => {
        if (item.kind === 'event') table.prepend([item.event], MAX_ROWS);
        else if (item.kind === 'alert') showAlert(item.alert);
        else status.textContent = `The server reported a problem (${item.error}); reconnecting…`;
      },
      onStatus: (state, detail) => {
        if (mine !== generation) return;
        status.textContent = detail ? `${STATUS_TEXT[state]} ${detail}` : STATUS_TEXT[state];
        if (state === 'refused') {
          tail = null;
          toggle.textContent = 'Resume';
        }
      },
      isFatal: (error) => error instanceof ApiError && (error.status === 401 || error.status === 403),
    });
  }

  function stop(): void {
    generation += 1;
    tail?.stop();
    tail = null;
    toggle.textContent = 'Resume';
    status.textContent = STATUS_TEXT.stopped;
  }

  toggle.addEventListener('click', () => (tail ? stop() : start()));
  const form = h(
    'form',
    { class: 'row controls', 'aria-label': 'Live tail filters' },
    field('Username', username),
    field('Type', type),
    field('IP address', ip),
    h('button', { type: 'submit' }, 'Apply'),
    toggle,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    start();
  });
  const element = h(
    'section',
    { class: 'card', 'aria-labelledby': 'live-title' },
    h('h2', { id: 'live-title' }, 'Live tail'),
    form,
    status,
    alerts,
    table.element,
  );
  return {
    element,
    show() {
      if (!started) {
        started = true;
        start();
      }
    },
    dispose: stop,
  };
}
