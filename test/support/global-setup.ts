import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

/**
 * Brings every workspace's `dist/` up to date with its sources (`tsc -b`, a
 * couple of seconds when nothing changed: `npm test` has just run it) and,
 * if that succeeds, sets `GATEHOUSE_TEST_DIST=1` for the test workers, so the
 * services the tests start as child processes run their compiled
 * `dist/server.js`, as the images do, instead of the sources through tsx
 * (`startServiceProcess`). When the build fails the services run from their
 * sources, and the type errors are `npm run typecheck`'s to report.
 * `GATEHOUSE_TEST_DIST=0` skips the build and keeps tsx.
 */
export function setup(): void {
  if (process.env.GATEHOUSE_TEST_DIST !== undefined) return;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const build = spawnSync(process.execPath, [tsc, '-b'], { stdio: ['ignore', 'inherit', 'inherit'] });
  process.env.GATEHOUSE_TEST_DIST = build.status === 0 ? '1' : '0';
  if (build.status !== 0) {
    process.stderr.write('tsc -b failed: the services the tests start run from their TypeScript sources\n');
  }
}
