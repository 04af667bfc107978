import { field, h, select } from '../dom.js';
import { EVENT_TYPE_LABELS } from '../lib/api-types.js';
import { type EventFilters, normalizeFilters } from '../lib/filters.js';
import { isoToLocalInput, localInputToIso } from '../lib/time-range.js';

/** The events table's filter form. */
export interface FilterForm {
  readonly element: HTMLFormElement;
  get(): EventFilters;
  set(filters: EventFilters): void;
}

/** Only event type choices, for forms that need them. */
export function typeSelect(name = 'type'): HTMLSelectElement {
  return select(name, [['', 'Any type'], ...Object.entries(EVENT_TYPE_LABELS)]);
}

/** `onApply` runs with the new filters on submit and on "Clear". */
export function createFilterForm(onApply: (filters: EventFilters) => void): FilterForm {
  const inputs = {
    username: h('input', { name: 'username', autocomplete: 'off' }),
    userId: h('input', { name: 'userId', autocomplete: 'off' }),
    type: typeSelect(),
    ip: h('input', { name: 'ip', autocomplete: 'off', inputmode: 'decimal' }),
    sessionId: h('input', { name: 'sessionId', autocomplete: 'off' }),
    from: h('input', { name: 'from', type: 'datetime-local', step: 1 }),
    to: h('input', { name: 'to', type: 'datetime-local', step: 1 }),
  };

  function get(): EventFilters {
    return normalizeFilters({
      username: inputs.username.value,
      userId: inputs.userId.value,
      type: inputs.type.value,
      ip: inputs.ip.value,
      sessionId: inputs.sessionId.value,
      from: localInputToIso(inputs.from.value),
      to: localInputToIso(inputs.to.value),
    });
  }

  function set(filters: EventFilters): void {
    inputs.username.value = filters.username ?? '';
    inputs.userId.value = filters.userId ?? '';
    inputs.type.value = filters.type ?? '';
    inputs.ip.value = filters.ip ?? '';
    inputs.sessionId.value = filters.sessionId ?? '';
    inputs.from.value = isoToLocalInput(filters.from, true);
    inputs.to.value = isoToLocalInput(filters.to, true);
  }

  const clear = h('button', { type: 'button' }, 'Clear');
  const element = h(
    'form',
    { class: 'filters', 'aria-label': 'Event filters' },
    field('Username', inputs.username),
    field('User id', inputs.userId),
    field('Type', inputs.type),
    field('IP address', inputs.ip),
    field('Session id', inputs.sessionId),
    field('From', inputs.from),
    field('To (exclusive)', inputs.to),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Apply filters'), clear),
  );
  element.addEventListener('submit', (event) => {
    event.preventDefault();
    onApply(get());
  });
  clear.addEventListener('click', () => {
    set({});
    onApply({});
  });
  return { element, get, set };
}
