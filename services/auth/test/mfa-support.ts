import { awayFromStepEdge, totpCode } from '../src/testing.js';
import type { AuthHarness } from './harness.js';
import { bearer } from './harness.js';

/**
 * Logs a fresh user in, enrols TOTP and confirms it with the code of the
 * previous step (so the current code is still unused); returns the secret,
 * the recovery codes and the token.
 */
export async function enrolTotp(h: AuthHarness, roles: string[] = ['user']) {
  const user = await h.addUser({ roles });
  const login = (await h.login(user.username, user.password)).json();
  const auth = bearer(login.accessToken);
  const enrolment = (await h.app.inject({ method: 'POST', url: '/auth/mfa/totp', headers: auth })).json();
  await awayFromStepEdge();
  const confirm = await h.app.inject({
    method: 'POST',
    url: '/auth/mfa/totp/confirm',
    headers: auth,
    payload: { code: totpCode(enrolment.secret, -30) },
  });
  if (confirm.statusCode !== 200) throw new Error(`confirm failed: ${confirm.body}`);
  return {
    user,
    secret: enrolment.secret as string,
    uri: enrolment.uri as string,
    qr: enrolment.qr as string,
    recoveryCodes: confirm.json().recoveryCodes as string[],
    token: login.accessToken as string,
    sessionId: login.sessionId as string,
  };
}
