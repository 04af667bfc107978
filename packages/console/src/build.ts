import { mkdir, mkdtemp, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { consoleDistPath } from './dist-path.js';

const PACKAGE_DIR = join(dirname(consoleDistPath()), '..');
const SOURCES = ['src/web', 'index.html', 'vite.config.ts'];
const LOCK_STALE_MS = 120_000;

async function newestMtime(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.mtimeMs;
  const entries = await readdir(path, { withFileTypes: true, recursive: true });
  const times = await Promise.all(
    entries.filter((e) => e.isFile()).map(async (e) => (await stat(join(e.parentPath, e.name))).mtimeMs),
  );
  return Math.max(info.mtimeMs, ...times);
}

/** Whether `dist/web` exists and is newer than every source file of the page. */
async function isConsoleFresh(): Promise<boolean> {
  const built = await stat(join(consoleDistPath(), 'index.html')).catch(() => null);
  if (!built) return false;
  const sources = await Promise.all(SOURCES.map((p) => newestMtime(join(PACKAGE_DIR, p)).catch(() => 0)));
  return Math.max(...sources) <= built.mtimeMs;
}

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = join(dirname(consoleDistPath()), '.build-lock');
  await mkdir(dirname(lock), { recursive: true });
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      const held = await stat(lock).catch(() => null);
      if (held && Date.now() - held.mtimeMs > LOCK_STALE_MS) await rmdir(lock).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    return await fn();
  } finally {
    await rmdir(lock).catch(() => undefined);
  }
}

/**
 * Builds the page with Vite into `dist/web` unless it is already built from the
 * current sources. Safe to call from several processes at once (a lock
 * directory; the new build is renamed into place). Needs the `vite` dev
 * dependency, loaded only here.
 *
 * @returns whether a build ran
 * @example
 * ```ts
 * await ensureConsoleBuilt(); // in a test's beforeAll, or before starting the gateway
 * ```
 */
export async function ensureConsoleBuilt(): Promise<boolean> {
  if (await isConsoleFresh()) return false;
  return await withLock(async () => {
    if (await isConsoleFresh()) return false;
    const { build } = await import('vite');
    const target = consoleDistPath();
    const outDir = await mkdtemp(`${target}.tmp-`);
    await build({
      root: PACKAGE_DIR,
      configFile: join(PACKAGE_DIR, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    });
    const old = `${target}.old-${process.pid}`;
    await rename(target, old).catch(() => undefined);
    await rename(outDir, target);
    await rm(old, { recursive: true, force: true });
    return true;
  });
}
