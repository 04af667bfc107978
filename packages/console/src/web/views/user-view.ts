import type { MfaStatus } from '@gatehouse/contracts';
import { getUserSummary, listEvents, revokeAllSessions, revokeSession } from '../api/audit.js';
import { currentSessionId } from '../api/client.js';
import { getUserFactors } from '../api/mfa.js';
import { errorText, field, h, replace } from '../dom.js';
import type { AuditEvent, UserSummary } from '../lib/api-types.js';
import { cell, formatTime } from '../lib/format.js';
import { typeLabel } from './events-table.js';
import type { View, ViewContext } from './view.js';

/** The user view; `load` shows one user. */
export interface UserView extends View {
  load(userId: string): void;
}

function facts(summary: UserSummary): HTMLElement {
  const last = summary.lastSuccessfulLogin;
  return h(
    'dl',
    { class: 'facts' },
    h('dt', {}, 'User id'),
    h('dd', { class: 'mono' }, summary.userId),
    h('dt', {}, 'Username'),
    h('dd', {}, cell(summary.username)),
    h('dt', {}, 'Last successful login'),
    h('dd', {}, last ? `${formatTime(last.occurredAt)} from ${cell(last.ip)}` : 'none recorded'),
    h('dt', {}, 'Failed logins (24 h)'),
    h('dd', {}, summary.failuresLast24h),
    h('dt', {}, 'Lockouts (24 h)'),
    h('dd', {}, summary.lockoutsLast24h),
  );
}

/** A user's second factors and their latest `auth.mfa.*` events (with the factor type). */
function secondFactors(factors: MfaStatus, events: AuditEvent[]): HTMLElement {
  const mfa = events.filter((e) => e.type.startsWith('auth.mfa.')).slice(0, 10);
  const factorOf = (e: AuditEvent) => String((e.extra as { factor?: unknown } | null)?.factor ?? '');
  return h(
    'div',
    { class: 'second-factors' },
    h('h4', {}, 'Second factors'),
    h(
      'p',
      {},
      `TOTP: ${factors.totp ? 'enrolled' : 'no'} · passkeys: ${factors.passkeys.map((p) => p.name).join(', ') || 'none'}` +
        ` · recovery codes left: ${factors.recoveryCodesRemaining}`,
    ),
    mfa.length === 0
      ? h('p', {}, 'No recent second-factor events.')
      : h(
          'ul',
          { class: 'mfa-events' },
          ...mfa.map((e) =>
            h('li', {}, `${e.occurredAt} ${typeLabel(e.type)} ${factorOf(e)} ${e.reason ?? ''}`.trim()),
          ),
        ),
  );
}

/** The summary of one user with their live sessions and revoke buttons (each revocation is audited). */
export function createUserView(context: ViewContext): UserView {
  const userId = h('input', { name: 'userId', autocomplete: 'off', required: true });
  const status = h('p', { class: 'status', role: 'status' });
  const content = h('div', {});
  let shown: string | null = null;

  async function revoke(action: () => Promise<{ revoked: number }>, what: string): Promise<void> {
    try {
      const { revoked } = await action();
      status.textContent = `${what}: ${revoked} session${revoked === 1 ? '' : 's'} revoked.`;
      context.announce(status.textContent);
    } catch (error) {
      status.textContent = `${what} failed: ${errorText(error)}`;
    }
    if (shown) await render(shown);
  }

  function sessionRow(summary: UserSummary, sessionId: string): HTMLTableRowElement {
    const button = h(
      'button',
      { type: 'button', class: 'danger', 'aria-label': `Revoke session ${sessionId}` },
      'Revoke',
    );
    button.addEventListener('click', () => {
      button.disabled = true;
      void revoke(() => revokeSession(summary.userId, sessionId), 'Revoke');
    });
    const mine = sessionId === currentSessionId();
    return h(
      'tr',
      {},
      h('td', { class: 'mono' }, sessionId, mine ? h('span', { class: 'tag' }, 'this console') : null),
      h('td', {}, button),
    );
  }

  function sessions(summary: UserSummary): HTMLElement {
    if (summary.activeSessions.length === 0) return h('p', {}, 'No active sessions.');
    const all = h('button', { type: 'button', class: 'danger' }, 'Revoke all sessions');
    all.addEventListener('click', () => {
      if (
        !window.confirm(
          `Revoke all ${summary.activeSessions.length} sessions of ${summary.username ?? summary.userId}?`,
        )
      )
        return;
      all.disabled = true;
      void revoke(() => revokeAllSessions(summary.userId), 'Revoke all');
    });
    const head = ['Session', 'Action'].map((name) => h('th', { scope: 'col' }, name));
    return h(
      'div',
      {},
      h(
        'div',
        { class: 'scroll' },
        h(
          'table',
          {},
          h('caption', {}, `Active sessions (${summary.activeSessions.length})`),
          h('thead', {}, h('tr', {}, ...head)),
          h('tbody', {}, ...summary.activeSessions.map((s) => sessionRow(summary, s))),
        ),
      ),
      all,
    );
  }

  async function render(id: string): Promise<void> {
    shown = id;
    try {
      const [summary, factors, page] = await Promise.all([
        getUserSummary(id),
        getUserFactors(id),
        listEvents({ userId: id }, null),
      ]);
      if (shown !== id) return;
      replace(
        content,
        h('h3', {}, summary.username ?? summary.userId),
        facts(summary),
        secondFactors(factors, page.events),
        sessions(summary),
      );
    } catch (error) {
      replace(content);
      status.textContent = `Could not load the user: ${errorText(error)}`;
    }
  }

  const form = h(
    'form',
    { class: 'row controls' },
    field('User id', userId),
    h('button', { type: 'submit' }, 'Show user'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    status.textContent = '';
    if (userId.value.trim()) void render(userId.value.trim());
  });
  const element = h(
    'section',
    { class: 'card', 'aria-labelledby': 'user-title' },
    h('h2', { id: 'user-title' }, 'User'),
    form,
    status,
    content,
  );
  return {
    element,
    load(id) {
      userId.value = id;
      status.textContent = '';
      void render(id);
    },
  };
}
