import { verifyTrail } from '../api/audit.js';
import { errorText, h } from '../dom.js';
import { formatTime } from '../lib/format.js';
import type { View } from './view.js';

const RECHECK_MS = 5 * 60_000;

/** The trail's verify status as a badge, with the time of the last check and a "check now" button. */
export function createVerifyBadge(): View {
  const badge = h('span', { class: 'badge badge-unknown' }, 'Trail: not checked');
  const when = h('span', { class: 'badge-time' });
  const button = h('button', { type: 'button', class: 'small' }, 'Check now');
  const element = h('div', { class: 'verify', role: 'status', 'aria-live': 'polite' }, badge, when, button);
  let timer: ReturnType<typeof setInterval> | undefined;

  async function check(): Promise<void> {
    button.disabled = true;
    badge.className = 'badge badge-unknown';
    badge.textContent = 'Trail: checking…';
    try {
      const result = await verifyTrail();
      badge.className = result.ok ? 'badge badge-ok' : 'badge badge-bad';
      badge.textContent = result.ok ? 'Trail verified' : 'Trail tampered';
      badge.title = `${result.checkedEvents} events and ${result.checkedDigests} digests checked, head at ${result.headSeq}`;
      when.textContent = `checked ${formatTime(new Date().toISOString())}`;
      if (result.failure)
        when.textContent += ` — ${result.failure.message} (seq ${result.failure.fromSeq}–${result.failure.toSeq})`;
    } catch (error) {
      badge.className = 'badge badge-unknown';
      badge.textContent = 'Trail: check failed';
      when.textContent = errorText(error);
    } finally {
      button.disabled = false;
    }
  }

  button.addEventListener('click', () => void check());
  void check();
  timer = setInterval(() => void check(), RECHECK_MS);
  return {
    element,
    dispose() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
