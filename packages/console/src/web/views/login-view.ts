import type { MfaProof, MfaRequiredResponse } from '@gatehouse/contracts';
import { ApiError, completeSignIn, signIn } from '../api/client.js';
import { passkeyLoginProof } from '../api/mfa.js';
import { errorText, field, h } from '../dom.js';

function loginErrorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'invalid_credentials') return error.message;
    if (error.status === 429) return `Too many attempts. ${error.message}`;
    return error.message;
  }
  return `The gateway could not be reached: ${errorText(error)}`;
}

/** The sign-in form; calls `onSignedIn` once a token is held. */
export function createLoginView(onSignedIn: () => void, notice?: string): HTMLElement {
  const username = h('input', { name: 'username', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h(
    'form',
    { class: 'login card', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Gatehouse audit console'),
    h('p', {}, 'Sign in with an auditor account.'),
    notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
    field('Username', username),
    field('Password', password),
    submit,
    error,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.textContent = '';
    try {
      const challenge = await signIn(username.value.trim(), password.value);
      password.value = '';
      if (challenge) form.replaceWith(secondStep(challenge, onSignedIn));
      else onSignedIn();
    } catch (failure) {
      error.textContent = loginErrorText(failure);
      password.select();
    } finally {
      submit.disabled = false;
    }
  });
  return h('main', { class: 'center' }, form);
}

/** Step 2 of a login for a user with a second factor: a code (authenticator or recovery) or a passkey. */
function secondStep(challenge: MfaRequiredResponse, onSignedIn: () => void): HTMLElement {
  const code = h('input', { name: 'code', autocomplete: 'one-time-code', inputmode: 'text', required: true });
  const verify = h('button', { type: 'submit', class: 'primary' }, 'Verify');
  const error = h('p', { class: 'error', role: 'alert' });
  const attempt = async (proof: () => Promise<MfaProof>) => {
    error.textContent = '';
    try {
      await completeSignIn(challenge.challenge, await proof());
      onSignedIn();
    } catch (failure) {
      error.textContent = loginErrorText(failure);
    }
  };
  const passkey = challenge.methods.includes('passkey')
    ? h(
        'button',
        { type: 'button', onclick: () => void attempt(() => passkeyLoginProof(challenge.challenge)) },
        'Use a passkey',
      )
    : null;
  const form = h(
    'form',
    { class: 'login card', 'aria-labelledby': 'mfa-title' },
    h('h1', { id: 'mfa-title' }, 'Second factor'),
    h('p', {}, 'Enter the code from your authenticator app or a recovery code, or use a passkey.'),
    field('Code', code),
    verify,
    passkey,
    error,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = code.value.trim();
    void attempt(async () => ({ method: /^[0-9]{6}$/.test(value) ? 'totp' : 'recovery', code: value }));
  });
  return form;
}
