#!/usr/bin/env node
// The `gatehouse` command: runs the compiled CLI, dist/main.js (`--help` costs what
// a bare `node` does; tsx compiling the sources took 2-4 s: docs/performance.md).
// In a checkout, a stale build never runs: when a source of the CLI or of a
// workspace it references (tsconfig references) is newer than that project's
// tsbuildinfo, `tsc -b packages/cli` rebuilds first (saying so on a terminal).
// The production image has no sources, only dist/. Under
// --conditions=gatehouse-source (the dev image, whose NODE_OPTIONS also load tsx)
// the package resolves to its TypeScript sources, which run as they are.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const LOCK_STALE_MS = 300_000;

/** Every tsconfig the CLI's build compiles: its own and those it references, transitively. */
function configs(config, seen = new Set()) {
  if (seen.has(config)) return seen;
  seen.add(config);
  const { references = [] } = JSON.parse(readFileSync(config, 'utf8'));
  for (const { path } of references) {
    const target = resolve(dirname(config), path);
    configs(path.endsWith('.json') ? target : join(target, 'tsconfig.json'), seen);
  }
  return seen;
}

function newestMtime(path) {
  const info = statSync(path, { throwIfNoEntry: false });
  if (!info?.isDirectory()) return info?.mtimeMs ?? 0;
  const files = readdirSync(path, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return Math.max(info.mtimeMs, ...files.map((e) => statSync(join(e.parentPath, e.name)).mtimeMs));
}

/** Whether some project's sources (its `include`d folders, its tsconfig and the one it extends) are newer than its build. */
function isStale() {
  for (const config of configs(join(PACKAGE_DIR, 'tsconfig.json'))) {
    const dir = dirname(config);
    const built = statSync(join(dir, `${basename(config, '.json')}.tsbuildinfo`), { throwIfNoEntry: false });
    if (!built) return true;
    const { include = [], extends: base } = JSON.parse(readFileSync(config, 'utf8'));
    const sources = [config, ...(base ? [resolve(dir, base)] : []), ...include.map((p) => join(dir, p.split('*')[0]))];
    if (sources.some((source) => newestMtime(source) > built.mtimeMs)) return true;
  }
  return false;
}

/** Runs `fn` holding a lock directory, so concurrent runs (tests in parallel) build once. */
function withLock(lock, fn) {
  mkdirSync(dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function build() {
  if (process.stderr.isTTY) console.error('gatehouse: compiling the CLI (tsc -b packages/cli; its sources changed)…');
  const tsc = fileURLToPath(import.meta.resolve('typescript/bin/tsc'));
  const result = spawnSync(process.execPath, [tsc, '-b', PACKAGE_DIR], { encoding: 'utf8' });
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout}${result.stderr}`);
    console.error('gatehouse: the CLI does not compile (tsc -b packages/cli, above); fix it and run again.');
    process.exit(1);
  }
}

const entry = import.meta.resolve('@gatehouse/cli');
if (entry.endsWith('.js') && existsSync(join(PACKAGE_DIR, 'tsconfig.json')) && isStale()) {
  withLock(join(PACKAGE_DIR, 'dist', '.build-lock'), () => isStale() && build());
}
await import(entry);
