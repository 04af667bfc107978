import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_BASE_PATH, CONSOLE_CSP, consoleDistPath } from '../src/index.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
let outDir = '';
let html = '';
let assets: { name: string; text: string }[] = [];

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'gatehouse-console-'));
  await build({
    root: packageDir,
    configFile: join(packageDir, 'vite.config.ts'),
    logLevel: 'silent',
    build: { outDir, emptyOutDir: true, sourcemap: false },
  });
  html = await readFile(join(outDir, 'index.html'), 'utf8');
  const names = await readdir(join(outDir, 'assets'));
  assets = await Promise.all(
    names.map(async (name) => ({ name, text: await readFile(join(outDir, 'assets', name), 'utf8') })),
  );
}, 60_000);

afterAll(() => rm(outDir, { recursive: true, force: true }));

describe('the built console under its CSP', () => {
  it('loads one script and one stylesheet, both from /console/assets/, with nothing inline', () => {
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]?.[1]).toMatch(/src="\/console\/assets\/[\w-]+\.js"/);
    expect(scripts[0]?.[2]?.trim()).toBe('');
    expect(html).toMatch(/<link rel="stylesheet"[^>]*href="\/console\/assets\/[\w-]+\.css"/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    expect(assets.map((a) => a.name.split('.').pop()).sort()).toEqual(['css', 'js']);
  });

  it('makes no request outside its origin (no absolute URLs but XML namespaces)', () => {
    for (const text of [html, ...assets.map((a) => a.text)]) {
      const urls = [...text.matchAll(/https?:\/\/[^\s"'`)]+/g)].map((m) => m[0]);
      expect(urls.filter((url) => !url.startsWith('http://www.w3.org/'))).toEqual([]);
      expect(text).not.toMatch(/@import|url\(\s*["']?(?:https?:)?\/\//);
    }
  });

  it('never stores the token where a script could read it later, and never parses HTML strings', async () => {
    for (const file of await sourceFiles(join(packageDir, 'src', 'web'))) {
      const text = await readFile(file, 'utf8');
      expect(text, file).not.toMatch(/\b(?:localStorage|sessionStorage|indexedDB)\s*[.[]|document\.cookie/);
      expect(text, file).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/);
    }
    const bundle = assets.find((a) => a.name.endsWith('.js'))?.text ?? '';
    expect(bundle).not.toMatch(/localStorage|sessionStorage|document\.cookie/);
  });
});

describe('package exports for the gateway', () => {
  it('exports the CSP with every directive the console relies on', () => {
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "connect-src 'self'",
      "frame-ancestors 'none'",
    ]) {
      expect(CONSOLE_CSP.split('; ')).toContain(directive);
    }
    expect(CONSOLE_CSP).not.toMatch(/unsafe-|https?:|\*/);
    expect(CONSOLE_BASE_PATH).toBe('/console/');
  });

  it('points at the absolute dist/web folder of this package', () => {
    const dist = consoleDistPath();
    expect(isAbsolute(dist)).toBe(true);
    expect(dist).toBe(join(packageDir, 'dist', 'web'));
  });
});
