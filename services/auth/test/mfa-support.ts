import { Secret, TOTP } from 'otpauth';
import type { AuthHarness } from './harness.js';
import { bearer } from './harness.js';

/** The code an authenticator app shows for `secret` (base32) at now + `offsetSeconds`. */
export function totpCode(secret: string, offsetSeconds = 0): string {
  return TOTP.generate({
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    timestamp: Date.now() + offsetSeconds * 1000,
  });
}

/**
 * Waits (polling, with a deadline) until at least `margin` seconds remain in
 * the current 30 s step, so codes computed now are judged in the same step.
 */
export async function awayFromStepEdge(margin = 5): Promise<void> {
  const deadline = Date.now() + 40_000;
  while (30 - ((Date.now() / 1000) % 30) < margin) {
    if (Date.now() > deadline) throw new Error('clock did not move');
    await new Promise((r) => setTimeout(r, 200));
  }
}

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
