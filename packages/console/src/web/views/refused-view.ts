import { h } from '../dom.js';
import { AUDITOR_ROLE, type Identity } from '../lib/identity.js';

/** Shown to a signed-in user without the auditor role (whose session is already ended). */
export function createRefusedView(identity: Identity, onBack: () => void): HTMLElement {
  const roles = identity.roles.length > 0 ? identity.roles.join(', ') : 'none';
  const back = h('button', { type: 'button', class: 'primary', onclick: onBack }, 'Sign in with another account');
  const view = h(
    'main',
    { class: 'center' },
    h(
      'section',
      { class: 'card refused', 'aria-labelledby': 'refused-title' },
      h('h1', { id: 'refused-title' }, 'Access refused'),
      h(
        'p',
        {},
        `${identity.username ?? 'This account'} is not an auditor. The audit console is only for accounts with the “${AUDITOR_ROLE}” role.`,
      ),
      h('p', {}, `Roles of this account: ${roles}. You have been signed out.`),
      back,
    ),
  );
  queueMicrotask(() => back.focus());
  return view;
}
