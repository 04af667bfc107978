import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(PACKAGE_DIR, 'bin/gatehouse.js');
const BUILT = join(PACKAGE_DIR, 'dist/main.js');
const BUILD_INFO = join(PACKAGE_DIR, 'tsconfig.tsbuildinfo');

const run = (file: string, args: string[]) =>
  spawnSync(process.execPath, [file, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });

const newestSource = () =>
  Math.max(
    ...readdirSync(join(PACKAGE_DIR, 'src'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => statSync(join(e.parentPath, e.name)).mtimeMs),
  );

// Spawns Node and, when the build is stale, tsc: seconds on a busy 2-core machine.
describe('the gatehouse bin', { timeout: 120_000 }, () => {
  it('runs the compiled entry, built from the current sources', () => {
    const res = run(BIN, ['--help']);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/^Usage: gatehouse <command>/);
    expect(res.stdout).toContain('users add <username>');
    expect(res.stdout).toContain('audit verify');
    expect(statSync(BUILD_INFO).mtimeMs).toBeGreaterThanOrEqual(newestSource());

    const built = run(BUILT, ['--help']);
    expect(built.status).toBe(0);
    expect(built.stdout).toBe(res.stdout);
  });

  it('rebuilds before running when a source is newer than the build', () => {
    const source = join(PACKAGE_DIR, 'src/errors.ts');
    const now = new Date();
    utimesSync(source, now, now);
    expect(statSync(BUILD_INFO).mtimeMs).toBeLessThan(statSync(source).mtimeMs);

    const res = run(BIN, ['users', 'add', '--help']);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('Usage: gatehouse users add <username>');
    expect(statSync(BUILD_INFO).mtimeMs).toBeGreaterThanOrEqual(statSync(source).mtimeMs);
  });
});
