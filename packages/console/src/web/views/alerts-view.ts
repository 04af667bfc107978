import { listAlerts, listDeliveries, retryDelivery } from '../api/audit.js';
import { errorText, field, h, replace, select } from '../dom.js';
import type { AlertDelivery, AuditAlert, DeliveryState } from '../lib/api-types.js';
import { cell, formatTime } from '../lib/format.js';
import type { View, ViewContext } from './view.js';

function table(caption: string, columns: string[], rows: HTMLTableRowElement[]): HTMLElement {
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, ...columns.map((name) => h('th', { scope: 'col' }, name)))),
      h('tbody', {}, ...rows),
    ),
  );
}

function alertRow(alert: AuditAlert): HTMLTableRowElement {
  return h(
    'tr',
    {},
    h('td', {}, formatTime(alert.createdAt)),
    h('td', {}, alert.rule),
    h('td', {}, alert.subject),
    h('td', {}, `${formatTime(alert.windowStart)} – ${formatTime(alert.windowEnd)}`),
    h('td', {}, alert.eventIds.length),
  );
}

/** Alerts fired by the detection rules and their webhook deliveries (failed ones can be retried). */
export function createAlertsView(context: ViewContext): View {
  const alertsBox = h('div', {});
  const deliveriesBox = h('div', {});
  const status = h('p', { class: 'status', role: 'status' });
  const state = select('state', [
    ['failed', 'Failed'],
    ['waiting', 'Waiting'],
    ['delayed', 'Retrying later'],
    ['active', 'Sending'],
    ['completed', 'Delivered'],
  ]);

  function deliveryRow(delivery: AlertDelivery): HTMLTableRowElement {
    const retry =
      delivery.state === 'failed'
        ? h('button', { type: 'button', 'aria-label': `Retry delivery ${delivery.id}` }, 'Retry')
        : null;
    retry?.addEventListener('click', async () => {
      retry.disabled = true;
      try {
        await retryDelivery(delivery.id);
        context.announce('Delivery queued again.');
        await loadDeliveries();
      } catch (error) {
        status.textContent = `Retry failed: ${errorText(error)}`;
        retry.disabled = false;
      }
    });
    return h(
      'tr',
      { class: `delivery-${delivery.state}` },
      h('td', {}, formatTime(delivery.finishedAt ?? delivery.createdAt)),
      h('td', { class: 'mono' }, delivery.alertId),
      h('td', { class: 'mono' }, delivery.target),
      h('td', {}, delivery.state),
      h('td', {}, delivery.attemptsMade),
      h('td', {}, cell(delivery.failedReason)),
      h('td', {}, retry ?? '—'),
    );
  }

  async function loadDeliveries(): Promise<void> {
    const { deliveries } = await listDeliveries(state.value as DeliveryState);
    const columns = ['Updated', 'Alert', 'Receiver', 'State', 'Attempts', 'Last error', 'Action'];
    replace(deliveriesBox, table(`Deliveries (${deliveries.length})`, columns, deliveries.map(deliveryRow)));
  }

  async function load(): Promise<void> {
    status.textContent = 'Loading alerts…';
    try {
      const { alerts } = await listAlerts();
      const columns = ['Fired', 'Rule', 'Subject', 'Window', 'Events'];
      replace(
        alertsBox,
        alerts.length === 0
          ? h('p', {}, 'No alerts.')
          : table(`Alerts (${alerts.length})`, columns, alerts.map(alertRow)),
      );
      await loadDeliveries();
      status.textContent = '';
    } catch (error) {
      status.textContent = `Could not load alerts: ${errorText(error)}`;
    }
  }

  state.addEventListener(
    'change',
    () => void loadDeliveries().catch((error) => (status.textContent = errorText(error))),
  );
  const refresh = h('button', { type: 'button', onclick: () => void load() }, 'Refresh');
  const element = h(
    'section',
    { class: 'card', 'aria-labelledby': 'alerts-title' },
    h('h2', { id: 'alerts-title' }, 'Alerts'),
    h('div', { class: 'row controls' }, field('Show deliveries', state), refresh),
    status,
    alertsBox,
    h('h3', {}, 'Webhook deliveries'),
    deliveriesBox,
  );
  return { element, show: () => void load() };
}
