import type { MfaStatus } from '@gatehouse/contracts';
import { addPasskey, confirmTotp, getMyFactors, startTotp, stepUp } from '../api/mfa.js';
import { errorText, field, h, replace } from '../dom.js';
import type { View, ViewContext } from './view.js';

function recoveryList(codes: string[]): HTMLElement | null {
  if (codes.length === 0) return null;
  return h(
    'div',
    { class: 'card', role: 'status' },
    h('h3', {}, 'Recovery codes'),
    h('p', {}, 'Keep these somewhere safe: each signs you in once, and they are shown only now.'),
    h('ul', { class: 'recovery-codes' }, ...codes.map((c) => h('li', {}, h('code', {}, c)))),
  );
}

/**
 * The signed-in auditor's own second factors: enrol TOTP (QR code, confirm
 * with a first code) or a passkey, and step the session up with a code.
 */
export function createAccountView(context: ViewContext): View {
  const status = h('div', {});
  const output = h('div', {});
  const error = h('p', { class: 'error', role: 'alert' });
  const guard = async (action: () => Promise<void>) => {
    error.textContent = '';
    try {
      await action();
    } catch (failure) {
      error.textContent = errorText(failure);
    }
  };
  const render = (factors: MfaStatus) =>
    replace(
      status,
      h('p', {}, `Authenticator app (TOTP): ${factors.totp ? 'enrolled' : 'not enrolled'}.`),
      h('p', {}, `Recovery codes left: ${factors.recoveryCodesRemaining}.`),
      h('h3', {}, 'Passkeys'),
      factors.passkeys.length === 0
        ? h('p', {}, 'None yet.')
        : h('ul', { class: 'passkeys' }, ...factors.passkeys.map((p) => h('li', {}, p.name))),
    );
  const refresh = () => guard(async () => render(await getMyFactors()));

  const passkeyName = h('input', { name: 'passkey-name', value: 'My passkey', maxlength: 64, required: true });
  const passkeyForm = h(
    'form',
    { class: 'card' },
    h('h3', {}, 'Add a passkey'),
    field('Passkey name', passkeyName),
    h('button', { type: 'submit', class: 'primary' }, 'Add passkey'),
  );
  passkeyForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void guard(async () => {
      replace(output, recoveryList(await addPasskey(passkeyName.value.trim())));
      context.announce('Passkey added.');
      await refresh();
    });
  });

  const totpCode = h('input', {
    name: 'totp-code',
    autocomplete: 'one-time-code',
    pattern: '[0-9]{6}',
    required: true,
  });
  const totpConfirm = h(
    'form',
    { class: 'card', hidden: true },
    field('Code from the app', totpCode),
    h('button', { type: 'submit', class: 'primary' }, 'Confirm'),
  );
  totpConfirm.addEventListener('submit', (event) => {
    event.preventDefault();
    void guard(async () => {
      replace(output, recoveryList(await confirmTotp(totpCode.value.trim())));
      totpConfirm.hidden = true;
      context.announce('Authenticator app enrolled.');
      await refresh();
    });
  });
  const totpStart = h(
    'button',
    {
      type: 'button',
      onclick: () =>
        void guard(async () => {
          const enrolment = await startTotp();
          replace(
            output,
            h('img', { src: enrolment.qr, alt: 'QR code for the authenticator app', class: 'qr' }),
            h('p', {}, 'Or type this secret: ', h('code', {}, enrolment.secret)),
          );
          totpConfirm.hidden = false;
        }),
    },
    'Set up an authenticator app',
  );

  const stepCode = h('input', { name: 'step-up-code', autocomplete: 'one-time-code', required: true });
  const stepForm = h(
    'form',
    { class: 'card' },
    h('h3', {}, 'Add a second factor to this session'),
    field('Code', stepCode, 'Needed to read the trail where the policy asks for a second factor.'),
    h('button', { type: 'submit' }, 'Step up'),
  );
  stepForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const code = stepCode.value.trim();
    void guard(async () => {
      await stepUp({ method: /^[0-9]{6}$/.test(code) ? 'totp' : 'recovery', code });
      context.announce('This session now has a second factor.');
    });
  });

  const element = h(
    'div',
    { class: 'account' },
    h('h2', {}, 'Your account'),
    status,
    h('div', { class: 'card' }, h('h3', {}, 'Authenticator app'), totpStart),
    totpConfirm,
    passkeyForm,
    stepForm,
    output,
    error,
  );
  return { element, show: () => void refresh() };
}
