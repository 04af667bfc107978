import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// This module runs from src/ in the repo and from dist/node/ once compiled.
const PACKAGE_ROOT = new URL(import.meta.url.includes('/dist/node/') ? '../../' : '../', import.meta.url);

/**
 * The absolute path of the built console (`packages/console/dist/web`, written by
 * `npm run build -w @gatehouse/console`). It holds `index.html` and `assets/`;
 * it does not exist before a build (see {@link isConsoleBuilt}).
 *
 * @example
 * ```ts
 * await app.register(fastifyStatic, { root: consoleDistPath(), prefix: '/console/' });
 * ```
 */
export function consoleDistPath(): string {
  return fileURLToPath(new URL('dist/web', PACKAGE_ROOT));
}

/**
 * Whether the console has been built (its `index.html` exists), so a server can
 * say so clearly instead of answering 404 for every asset.
 */
export function isConsoleBuilt(): boolean {
  return existsSync(join(consoleDistPath(), 'index.html'));
}
