import { ApiError, signIn } from '../api/client.js';
import { errorText, field, h } from '../dom.js';

function loginErrorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'invalid_credentials') return 'Wrong username or password.';
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
      await signIn(username.value.trim(), password.value);
      password.value = '';
      onSignedIn();
    } catch (failure) {
      error.textContent = loginErrorText(failure);
      password.select();
    } finally {
      submit.disabled = false;
    }
  });
  return h('main', { class: 'center' }, form);
}
