import { ensureConsoleBuilt } from '@gatehouse/console';
import { sessionKey } from '@gatehouse/contracts';
import { waitFor } from '@gatehouse/runtime/testing';
import type { CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack, type TestUser } from '../support/stack.js';
import { type ConsoleBrowser, launchConsoleBrowser } from './support/browser.js';

// A passkey enrolled on the console's account page and used as the second factor of the next
// sign-in, in headless Chromium with the DevTools virtual authenticator, against the real stack
// with the prod policy (reading /audit needs a second factor).
let stack: Stack;
let browser: ConsoleBrowser;
let page: Page;
let cdp: CDPSession;
let authenticatorId: string;
let auditor: TestUser;
let consoleUrl: string;

async function signIn(): Promise<void> {
  await page.goto(consoleUrl);
  await page.getByLabel('Username').fill(auditor.username);
  await page.getByLabel('Password').fill(auditor.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const events = async (type: string) =>
  (await stack.inspect.xrange('auth-events', '-', '+'))
    .map(([, fields]) => JSON.parse(fields[1] ?? '{}'))
    .filter((e) => e.subject === auditor.id && e.type === type);

beforeAll(async () => {
  await ensureConsoleBuilt();
  stack = await startStack({ env: { MFA_REQUIRED_ROUTES: '/audit', REDIS_COMMAND_TIMEOUT_MS: '5000' } });
  const origin = stack.gateway.url.replace('127.0.0.1', 'localhost');
  consoleUrl = `${origin}/console/`;
  browser = await launchConsoleBrowser(origin);
  auditor = await stack.addUser(['auditor']);
  page = await browser.newPage();
  cdp = await browser.context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  }));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('passkey as the second factor (Chromium virtual authenticator)', () => {
  it('is refused the trail without a factor, enrols a passkey on the account page, and signs in with it', async () => {
    await signIn();
    await page.getByRole('tab', { name: 'Events' }).waitFor();
    const refused = await fetch(`${stack.gateway.url}/audit/events`, {
      headers: { authorization: `Bearer ${(await stack.token(auditor)).token}` },
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('insufficient_user_authentication');

    await page.getByRole('tab', { name: 'Account' }).click();
    await page.getByLabel('Passkey name').fill('Laptop');
    await page.getByRole('button', { name: 'Add passkey' }).click();
    await page.getByRole('heading', { name: 'Recovery codes' }).waitFor();
    const recoveryCodes = await page.locator('.recovery-codes li').allInnerTexts();
    expect(recoveryCodes).toHaveLength(10);
    await page.locator('.passkeys li', { hasText: 'Laptop' }).waitFor();
    await browser.shoot(page, 'account-passkey');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    // DevTools names the credential in base64, WebAuthn JSON (and so the database) in base64url.
    const credentialId = Buffer.from(String(credentials[0]?.credentialId), 'base64').toString('base64url');
    const { rows } = await stack.pool.query('SELECT id, device_type FROM mfa_passkeys WHERE user_id = $1', [
      auditor.id,
    ]);
    expect(rows).toEqual([{ id: credentialId, device_type: 'singleDevice' }]);
    expect((await events('auth.mfa.enrolled')).map((e) => e.factor).sort()).toEqual(['passkey', 'recovery']);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn();
    await page.getByRole('heading', { name: 'Second factor' }).waitFor();
    // Without user verification (required by the options) no assertion is made: no session.
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    const error = page.locator('form.login .error');
    await waitFor(async () => ((await error.textContent()) ?? '') !== '', 15_000, 'the refusal shown');
    expect(await events('auth.mfa.succeeded')).toEqual([]);

    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: true });
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.getByText('Trail verified').waitFor({ timeout: 60_000 });
    const [succeeded] = await events('auth.mfa.succeeded');
    expect(succeeded).toMatchObject({ factor: 'passkey' });
    const logins = await events('auth.login.succeeded');
    expect(await stack.inspect.hget(sessionKey(logins.at(-1)?.sessionId), 'amr')).toBe('pwd,hwk');
    // The signature counter moved forward with the authenticator's.
    const [after] = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
    const stored = await stack.pool.query('SELECT counter, last_used_at FROM mfa_passkeys WHERE user_id = $1', [
      auditor.id,
    ]);
    expect(Number(stored.rows[0].counter)).toBe(after?.signCount);
    expect(stored.rows[0].last_used_at).not.toBeNull();
    expect(browser.problems).toEqual([]);

    // Through the API with a recovery code (a fresh factor): rename, then remove the passkey.
    const step1 = (await (await stack.login(auditor.username, auditor.password)).json()) as { challenge: string };
    const api = (path: string, init: { method: string; body?: unknown; token?: string }) =>
      fetch(`${stack.gateway.url}${path}`, {
        method: init.method,
        headers: {
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
    const recovered = await api('/auth/login/mfa', {
      method: 'POST',
      body: { challenge: step1.challenge, method: 'recovery', code: recoveryCodes[0] },
    });
    expect(recovered.status).toBe(200);
    const token = ((await recovered.json()) as { accessToken: string }).accessToken;
    const id = credentialId;
    expect(
      (await api(`/auth/mfa/passkeys/${id}`, { method: 'PATCH', body: { name: 'Old laptop' }, token })).status,
    ).toBe(200);
    const mine = (await (await api('/auth/mfa', { method: 'GET', token })).json()) as { passkeys: { name: string }[] };
    expect(mine.passkeys.map((p) => p.name)).toEqual(['Old laptop']);
    expect((await api(`/auth/mfa/passkeys/${id}`, { method: 'DELETE', token })).status).toBe(200);
    expect((await events('auth.mfa.removed')).at(-1)).toMatchObject({ factor: 'passkey', reason: 'user_removed' });
    expect((await events('auth.mfa.recovery_used')).at(-1)).toMatchObject({ factor: 'recovery' });
  });
});
