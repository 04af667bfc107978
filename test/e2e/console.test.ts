import { readFile } from 'node:fs/promises';
import { ensureConsoleBuilt } from '@gatehouse/console';
import { type AuditAlertView, type AuditEventView, createAuthEvent } from '@gatehouse/contracts';
import { waitFor } from '@gatehouse/runtime/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack, type TestUser } from '../support/stack.js';
import { type ConsoleBrowser, launchConsoleBrowser } from './support/browser.js';

// The audit console in headless Chromium against the real stack: auth, audit and the
// gateway as child processes on a private Redis and database; the page is served by the gateway.
let stack: Stack;
let browser: ConsoleBrowser;
let auditor: TestUser;
let auditorApi: string;
let page: Page;
let consoleUrl: string;
const pager = `pager_${Date.now().toString(36)}`;
const PAGER_EVENTS = 60;

async function signIn(target: Page, user: TestUser): Promise<void> {
  await target.goto(consoleUrl);
  await target.getByLabel('Username').fill(user.username);
  await target.getByLabel('Password').fill(user.password);
  await target.getByRole('button', { name: 'Sign in' }).click();
}

async function auditEvents(query: string): Promise<AuditEventView[]> {
  const res = await fetch(`${stack.gateway.url}/audit/events?${query}`, {
    headers: { authorization: `Bearer ${auditorApi}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { events: AuditEventView[] }).events;
}

/** `AUDIT_BRUTE_FORCE_FAILURES`: failed logins of one account that raise an alert. */
const BRUTE_FORCE_FAILURES = 10;

async function alerts(): Promise<AuditAlertView[]> {
  const res = await fetch(`${stack.gateway.url}/audit/alerts?limit=100`, {
    headers: { authorization: `Bearer ${auditorApi}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { alerts: AuditAlertView[] }).alerts;
}

const sessionStatus = async (token: string) =>
  (await fetch(`${stack.gateway.url}/auth/session`, { headers: { authorization: `Bearer ${token}` } })).status;

beforeAll(async () => {
  await ensureConsoleBuilt();
  stack = await startStack({
    auditEnv: { AUDIT_BRUTE_FORCE_FAILURES: String(BRUTE_FORCE_FAILURES), AUDIT_DETECT_INTERVAL_MS: '500' },
  });
  consoleUrl = `${stack.gateway.url}/console/`;
  browser = await launchConsoleBrowser(stack.gateway.url);
  auditor = await stack.addUser(['auditor']);
  auditorApi = (await stack.token(auditor)).token;
  // 60 failed logins of one username, 5 minutes ago, published as auth would: a bucket of their own.
  const minute = Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000;
  await stack.publish(
    Array.from({ length: PAGER_EVENTS }, (_, i) =>
      createAuthEvent(
        {
          type: 'auth.login.failed',
          source: 'auth',
          username: pager,
          ip: '198.51.100.9',
          reason: 'invalid_credentials',
        },
        new Date(minute + 1000 + i * 500),
      ),
    ),
  );
  await waitFor(
    async () => (await auditEvents(`username=${pager}&limit=100`)).length === PAGER_EVENTS,
    15_000,
    'stored',
  );
  page = await browser.newPage();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('audit console (headless Chromium, real stack)', () => {
  it('signs in an auditor through the gateway, keeping nothing in storage; a curl login shows in the live tail within 2 s', async () => {
    await signIn(page, auditor);
    await page.getByRole('tab', { name: 'Events' }).waitFor();
    await page.getByText('Trail verified').waitFor();
    // A string: this file is type-checked without the DOM library.
    const stored = await page.evaluate('[Object.keys(localStorage), Object.keys(sessionStorage), document.cookie]');
    expect(stored).toEqual([[], [], '']);
    await page.getByRole('tab', { name: 'Live tail' }).click();
    await page.getByText(/^Live:/).waitFor();
    const stranger = `curl_${Date.now().toString(36)}`;
    const res = await stack.login(stranger, 'not-the-password');
    expect(res.status).toBe(401);
    await page.locator('#panel-live tbody tr', { hasText: stranger }).first().waitFor({ timeout: 2_000 });
    await browser.shoot(page, 'live-1280');
  });

  it('clicking a chart bucket filters the events table to that bucket', async () => {
    await page.getByRole('tab', { name: 'Events' }).click();
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    const rows = page.locator('.timeline table tbody tr');
    await expect.poll(() => rows.count(), { timeout: 5_000 }).toBeGreaterThan(50);
    const cells = await rows.evaluateAll((trs) => trs.map((tr) => tr.querySelectorAll('td')[1]?.textContent ?? ''));
    const index = cells.indexOf(String(PAGER_EVENTS));
    expect(index).toBeGreaterThanOrEqual(0);
    const over = page.locator('.chart .u-over');
    const box = await over.boundingBox();
    if (!box) throw new Error('no chart');
    await over.click({ position: { x: (box.width * index) / (cells.length - 1), y: box.height / 2 } });
    await page.getByText('50 events on this page.').waitFor();
    expect(await page.getByLabel('Event filters').getByLabel('From', { exact: true }).inputValue()).not.toBe('');
    const usernames = await page
      .locator('#panel-events .events-view > section:last-child tbody td:nth-child(4)')
      .allTextContents();
    expect(new Set(usernames.filter((u) => u !== ''))).toEqual(new Set([pager]));
    await browser.shoot(page, 'timeline-bucket-1280');
  });

  it('filters by username and pages through with keyset paging', async () => {
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('Event filters').getByLabel('Username').fill(pager);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('50 events on this page.').waitFor();
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText(`${PAGER_EVENTS - 50} events on this page.`).waitFor();
    await expect.poll(() => page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.getByText('50 events on this page.').waitFor();
    await page
      .getByRole('button', { name: /Show the full event/ })
      .first()
      .click();
    await page.getByText('traceparent').first().waitFor();
    await browser.shoot(page, 'events-1280');
  });

  it('runs an export of the filtered events to completion and downloads it', async () => {
    await page.getByRole('button', { name: 'Export these events' }).click();
    const button = page.getByRole('button', { name: 'Download the export' });
    await button.waitFor({ timeout: 15_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    expect(download.suggestedFilename()).toMatch(/\.ndjson$/);
    const lines = (await readFile(await download.path(), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(PAGER_EVENTS);
    expect(lines.every((line) => JSON.parse(line).username === pager)).toBe(true);
    await browser.shoot(page, 'export-1280');
  });

  it('revokes one session and then all sessions of a user; the gateway refuses those tokens', async () => {
    const victim = await stack.addUser();
    const first = await stack.token(victim);
    const [second, third] = [await stack.token(victim), await stack.token(victim)];
    expect(await sessionStatus(first.token)).toBe(200);
    await page.getByRole('tab', { name: 'User' }).click();
    await page.locator('#panel-users').getByLabel('User id').fill(victim.id);
    await page.getByRole('button', { name: 'Show user' }).click();
    await page.getByRole('button', { name: `Revoke session ${first.sessionId}` }).click();
    await page.locator('#panel-users').getByText('Revoke: 1 session revoked.').waitFor();
    expect(await sessionStatus(first.token)).toBe(401);
    expect(await sessionStatus(second.token)).toBe(200);
    await browser.shoot(page, 'user-1280');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Revoke all sessions' }).click();
    await page.locator('#panel-users').getByText('Revoke all: 2 sessions revoked.').waitFor();
    expect([await sessionStatus(second.token), await sessionStatus(third.token)]).toEqual([401, 401]);
    await waitFor(
      async () => (await auditEvents(`userId=${victim.id}&type=auth.sessions.revoked`)).length === 2,
      5_000,
      'revocations in the trail',
    );
    const revoked = await auditEvents(`userId=${victim.id}&type=auth.sessions.revoked`);
    expect(revoked.map((e) => [e.reason, e.sessionId])).toEqual([
      ['admin_revoked', null],
      ['admin_revoked', first.sessionId],
    ]);
    expect(revoked[1]?.extra).toMatchObject({ actor: { userId: auditor.id, username: auditor.username } });
  });

  it('shows the alert that wrong passwords raised, and every view at 390 px', async () => {
    // Ten wrong passwords for one account through the gateway: audit's brute_force rule fires on them.
    const target = await stack.addUser();
    for (let i = 0; i < BRUTE_FORCE_FAILURES; i++)
      expect((await stack.login(target.username, 'wrong')).status).toBe(401);
    await waitFor(
      async () => (await alerts()).some((a) => a.rule === 'brute_force' && a.subject === target.username),
      30_000,
      'the brute_force alert',
    );
    await page.getByRole('tab', { name: 'Alerts' }).click();
    const row = page.getByRole('row').filter({ hasText: target.username });
    await row.getByRole('cell', { name: 'brute_force' }).waitFor();
    expect(await row.getByRole('cell', { name: String(BRUTE_FORCE_FAILURES), exact: true }).count()).toBe(1);
    await browser.shoot(page, 'alerts-1280');
    const narrow = await browser.newPage(390, 844);
    await signIn(narrow, auditor);
    await narrow.getByText('Trail verified').waitFor();
    await browser.shoot(narrow, 'events-390');
    await narrow.getByRole('tab', { name: 'Live tail' }).click();
    await browser.shoot(narrow, 'live-390');
    await narrow.close();
  });

  it('refuses a non-auditor, and the page made no CSP violation or outside request', async () => {
    const plain = await stack.addUser();
    const other = await browser.newPage(390, 844);
    await signIn(other, plain);
    await other.getByRole('heading', { name: 'Access refused' }).waitFor();
    await browser.shoot(other, 'refused-390');
    const res = await fetch(`${stack.gateway.url}/audit/events`, {
      headers: { authorization: `Bearer ${(await stack.token(plain)).token}` },
    });
    expect(res.status).toBe(403);
    await other.close();
    expect(browser.problems).toEqual([]);
  });
});
