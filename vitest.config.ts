import { configDefaults, defineConfig } from 'vitest/config';

const INCLUDE = [
  'packages/*/test/**/*.test.ts',
  'services/*/test/**/*.test.ts',
  'test/**/*.test.ts',
  'deploy/**/*.test.ts',
];

/**
 * Files that run alone, one after another, once the others are done: those
 * that start the services as child processes (CPU-heavy start-ups, process
 * kills; run-manifests starts every deploy's containers), stop or cut Redis or PostgreSQL, assert how long something took,
 * fuzz for a fixed number of runs, or rebuild a dist/ that other files run.
 * A new file is parallel unless it is listed here or matches a pattern.
 */
const ALONE = [
  'packages/cli/test/bin.test.ts',
  'packages/runtime/test/testing-helpers.test.ts',
  'services/auth/test/{redis-failure,replicas,server,timing}.test.ts',
  'services/audit/test/{consumer-failure,crash,detection-burst,exports,housekeeping,postgres-outage,restart-drill,retention,startup}.test.ts',
  'services/gateway/test/*.test.ts',
  'services/*/test/**/*{barrier,revocation,session-cache}*.test.ts',
  'test/e2e/**/*.test.ts',
  'deploy/test/run-manifests.test.ts',
  'test/fuzz/**/*.test.ts',
];

export default defineConfig({
  resolve: { conditions: ['gatehouse-source'] },
  ssr: { resolve: { conditions: ['gatehouse-source'], externalConditions: ['gatehouse-source'] } },
  test: {
    // tsc -b, then the services the tests start run from dist/ (test/support/global-setup.ts).
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    // Vitest runs one file at a time on a 2-core machine (cores - 1): the files that only wait on their
    // own Redis, database and in-process apps run two at a time first, then the others one at a time.
    projects: [
      {
        extends: true,
        test: {
          name: 'parallel',
          include: INCLUDE,
          exclude: [...configDefaults.exclude, ...ALONE],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      { extends: true, test: { name: 'alone', include: ALONE, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
