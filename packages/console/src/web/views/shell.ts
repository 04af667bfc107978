import { h } from '../dom.js';
import type { Identity } from '../lib/identity.js';
import { createAccountView } from './account-view.js';
import { createAlertsView } from './alerts-view.js';
import { createEventsView } from './events-view.js';
import { createLiveView } from './live-view.js';
import { createUserView, type UserView } from './user-view.js';
import { createVerifyBadge } from './verify-badge.js';
import type { View, ViewContext } from './view.js';

interface Tab {
  readonly id: string;
  readonly label: string;
  readonly button: HTMLButtonElement;
  readonly panel: HTMLElement;
  view: View;
}

function tabList(tabs: Tab[], activate: (tab: Tab, focus: boolean) => void): HTMLElement {
  const list = h('div', { role: 'tablist', 'aria-label': 'Console sections', class: 'tabs' });
  for (const tab of tabs) {
    tab.button.addEventListener('click', () => activate(tab, false));
    list.append(tab.button);
  }
  list.addEventListener('keydown', (event) => {
    const index = tabs.findIndex((tab) => tab.button === document.activeElement);
    if (index < 0) return;
    const moves: Record<string, number> = {
      ArrowRight: index + 1,
      ArrowLeft: index - 1,
      Home: 0,
      End: tabs.length - 1,
    };
    const target = moves[event.key];
    if (target === undefined) return;
    event.preventDefault();
    const tab = tabs[(target + tabs.length) % tabs.length];
    if (tab) activate(tab, true);
  });
  return list;
}

/** The signed-in page: header (verify badge, who, sign out) and the tabbed sections. */
export function createShell(identity: Identity, onSignOut: () => void): View {
  const liveRegion = h('div', { class: 'sr-only', 'aria-live': 'polite' });
  const context: ViewContext = {
    openUser: (userId) => {
      activate(usersTab, true);
      userView.load(userId);
    },
    announce: (message) => {
      liveRegion.textContent = message;
    },
  };
  const userView: UserView = createUserView(context);
  const makeTab = (id: string, label: string, view: View): Tab => ({
    id,
    label,
    view,
    button: h('button', { type: 'button', role: 'tab', id: `tab-${id}`, 'aria-controls': `panel-${id}` }, label),
    panel: h('section', { role: 'tabpanel', id: `panel-${id}`, 'aria-labelledby': `tab-${id}` }, view.element),
  });
  const tabs = [
    makeTab('events', 'Events', createEventsView(context)),
    makeTab('live', 'Live tail', createLiveView(context)),
    makeTab('users', 'User', userView),
    makeTab('alerts', 'Alerts', createAlertsView(context)),
    makeTab('account', 'Account', createAccountView(context)),
  ];
  const usersTab = tabs[2] as Tab;

  function activate(active: Tab, focus: boolean): void {
    for (const tab of tabs) {
      const selected = tab === active;
      tab.button.setAttribute('aria-selected', String(selected));
      tab.button.tabIndex = selected ? 0 : -1;
      tab.panel.hidden = !selected;
    }
    if (focus) active.button.focus();
    active.view.show?.();
  }

  const verify = createVerifyBadge();
  const signOut = h('button', { type: 'button', onclick: onSignOut }, 'Sign out');
  const header = h(
    'header',
    { class: 'top' },
    h('h1', {}, 'Gatehouse audit'),
    verify.element,
    h('p', { class: 'who' }, 'Signed in as ', h('strong', {}, identity.username ?? identity.userId ?? 'auditor')),
    signOut,
  );
  const element = h(
    'div',
    { class: 'shell' },
    header,
    h('nav', { 'aria-label': 'Sections' }, tabList(tabs, activate)),
    h('main', {}, ...tabs.map((tab) => tab.panel)),
    liveRegion,
  );
  activate(tabs[0] as Tab, false);
  return {
    element,
    dispose() {
      verify.dispose?.();
      for (const tab of tabs) tab.view.dispose?.();
    },
  };
}
