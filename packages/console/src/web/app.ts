import { getSession } from './api/audit.js';
import { forgetToken, setUnauthorizedHandler, signOut } from './api/client.js';
import { errorText, replace } from './dom.js';
import { isAuditor, readIdentity } from './lib/identity.js';
import { createLoginView } from './views/login-view.js';
import { createRefusedView } from './views/refused-view.js';
import { createShell } from './views/shell.js';
import type { View } from './views/view.js';

/** Starts the console in `root`: sign-in, then the refusal or the shell. */
export function startApp(root: HTMLElement): void {
  let shell: View | null = null;

  function showLogin(notice?: string): void {
    shell?.dispose?.();
    shell = null;
    replace(
      root,
      createLoginView(() => void afterSignIn(), notice),
    );
    root.querySelector<HTMLInputElement>('input[name="username"]')?.focus();
  }

  async function afterSignIn(): Promise<void> {
    try {
      const identity = readIdentity(await getSession());
      if (!isAuditor(identity)) {
        await signOut();
        replace(
          root,
          createRefusedView(identity, () => showLogin()),
        );
        return;
      }
      shell = createShell(identity, () => {
        void signOut().then(() => showLogin('You have signed out.'));
      });
      replace(root, shell.element);
    } catch (error) {
      forgetToken();
      showLogin(`Signing in did not complete: ${errorText(error)}`);
    }
  }

  setUnauthorizedHandler(() => showLogin('Your session has ended (expired or revoked). Sign in again.'));
  showLogin();
}
