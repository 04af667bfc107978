/**
 * Browser smoke run of the console against a REAL running stack (no mocks): signs in,
 * visits every view at 1280 px and 390 px, writes screenshots, and fails on CSP
 * violations, requests to another origin, or uncaught page errors. Not a vitest file.
 *
 *   CONSOLE_URL=http://127.0.0.1:4173/console/ GATEWAY_URL=http://127.0.0.1:8080 \
 *   AUDITOR=ada:secret NON_AUDITOR=bob:secret \
 *   node --import tsx packages/console/test/browser/screenshots.ts
 *
 * CHROMIUM_PATH defaults to Debian's /usr/bin/chromium; OUT_DIR to test-results/console.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

const consoleUrl = process.env.CONSOLE_URL ?? 'http://127.0.0.1:4173/console/';
const gatewayUrl = process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080';
const outDir = process.env.OUT_DIR ?? 'test-results/console';
const [auditor = '', auditorPassword = ''] = (process.env.AUDITOR ?? '').split(':');
const [other = '', otherPassword = ''] = (process.env.NON_AUDITOR ?? '').split(':');
const problems: string[] = [];

function watch(page: Page): void {
  const origin = new URL(consoleUrl).origin;
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:')) {
      problems.push(`external request: ${url}`);
    }
  });
}

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto(consoleUrl);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(outDir, `${name}.png`), fullPage: true });
}

async function curlLogin(username: string, password: string): Promise<void> {
  await fetch(`${gatewayUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'console-smoke' },
    body: JSON.stringify({ username, password }),
  });
}

async function auditorTour(browser: Browser, width: number, height: number): Promise<void> {
  const page = await browser.newPage({ viewport: { width, height } });
  watch(page);
  await signIn(page, auditor, auditorPassword);
  await page.getByRole('tab', { name: 'Events' }).waitFor();
  await page
    .getByRole('button', { name: /Show the full event/ })
    .first()
    .click();
  await shoot(page, `events-${width}`);
  await page.getByRole('tab', { name: 'Live tail' }).click();
  await page.getByText(/^Live:/).waitFor();
  await curlLogin(auditor, 'wrong-password');
  const started = Date.now();
  await page.locator('#panel-live tbody tr').first().waitFor();
  process.stdout.write(`live tail row after ${Date.now() - started} ms (${width} px)\n`);
  await shoot(page, `live-${width}`);
  await page.getByRole('tab', { name: 'Events' }).click();
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.locator('#panel-events td button.link').first().click();
  await page.getByRole('heading', { level: 3 }).waitFor();
  await shoot(page, `user-${width}`);
  await page.getByRole('tab', { name: 'Alerts' }).click();
  await shoot(page, `alerts-${width}`);
  await page.getByRole('tab', { name: 'Alerts' }).press('ArrowRight');
  const selected = await page.getByRole('tab', { name: 'Events' }).getAttribute('aria-selected');
  if (selected !== 'true') problems.push('ArrowRight on the last tab did not select the first');
  const stored = await page.evaluate(
    'JSON.stringify([Object.keys(localStorage), Object.keys(sessionStorage), document.cookie])',
  );
  if (stored !== '[[],[],""]') problems.push(`something was stored by the page: ${String(stored)}`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('You have signed out.').waitFor();
  await page.close();
}

async function main(): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  try {
    await auditorTour(browser, 1280, 900);
    await auditorTour(browser, 390, 844);
    if (other) {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      watch(page);
      await signIn(page, other, otherPassword);
      await page.getByRole('heading', { name: 'Access refused' }).waitFor();
      await shoot(page, 'refused-390');
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(`screenshots in ${outDir}\n`);
  if (problems.length > 0) {
    process.stderr.write(`${problems.join('\n')}\n`);
    process.exitCode = 1;
  }
}

await main();
