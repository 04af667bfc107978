import { fileURLToPath } from 'node:url';

// This module runs from src/ in the repo and from dist/node/ once compiled.
const PACKAGE_ROOT = new URL(import.meta.url.includes('/dist/node/') ? '../../' : '../', import.meta.url);

/**
 * The absolute path of the built console (`packages/console/dist/web`, written by
 * `npm run build -w @gatehouse/console`). It holds `index.html` and `assets/`;
 * it does not exist before a build.
 *
 * @example
 * ```ts
 * await app.register(fastifyStatic, { root: consoleDistPath(), prefix: '/console/' });
 * ```
 */
export function consoleDistPath(): string {
  return fileURLToPath(new URL('dist/web', PACKAGE_ROOT));
}
