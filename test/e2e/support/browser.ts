import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Where each view's screenshot is written (git-ignored). */
const SCREENSHOT_DIR = join('test-results', 'console');

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Headless Debian Chromium on a new, empty profile, recording what a page must never do. */
export interface ConsoleBrowser {
  context: BrowserContext;
  /** CSP violations, requests to another origin and uncaught page errors, in order. */
  problems: string[];
  newPage(width?: number, height?: number): Promise<Page>;
  shoot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

/** Launches Chromium (`CHROMIUM_PATH`, default `/usr/bin/chromium`); pages may only talk to `origin`. */
export async function launchConsoleBrowser(origin: string): Promise<ConsoleBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'gatehouse-chromium-'));
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ARGS,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
  });
  const problems: string[] = [];
  const watch = (page: Page) => {
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(origin) && !/^(data|blob):/.test(url)) problems.push(`external request: ${url}`);
    });
  };
  return {
    context,
    problems,
    newPage: async (width = 1280, height = 900) => {
      const page = await context.newPage();
      await page.setViewportSize({ width, height });
      watch(page);
      return page;
    },
    shoot: async (page, name) => {
      await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
    },
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
