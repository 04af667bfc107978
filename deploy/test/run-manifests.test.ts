import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestDatabase, startRedis, startSentinelGroup } from '@gatehouse/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSkaffold, type SkaffoldConfig } from './support/build.js';
import { buildImageTrees, type ImageKind, skaffoldDeploys } from './support/images.js';
import { REPO_ROOT } from './support/paths.js';
import { renderKustomization } from './support/render.js';
import { killAll, runRender } from './support/run.js';
import { dataOf } from './support/workloads.js';

// Runs what the manifests say, without a cluster: every container of every
// way skaffold deploys (`skaffold run`, `skaffold dev`, `skaffold run -p prod`)
// with its command, in the file layout of its image kind, against this test's
// own Redis and PostgreSQL (support/run.ts says how each part is stood in for).
// A render whose services find Redis through Sentinel (REDIS_SENTINELS, the
// prod overlay) gets a real sentinel group: a primary, a replica (auth waits
// for one, REDIS_WAIT_REPLICAS=1) and three sentinels.

const [config] = loadSkaffold() as [SkaffoldConfig];
const deploys = skaffoldDeploys(config, readFileSync(resolve(REPO_ROOT, 'Dockerfile'), 'utf8'));
const scratch = mkdtempSync(join(tmpdir(), 'gatehouse-run-manifests-'));
let trees: Record<ImageKind, string>;

beforeAll(async () => {
  trees = await buildImageTrees(scratch);
}, 240_000);

afterAll(async () => {
  await killAll();
  rmSync(scratch, { recursive: true, force: true });
});

describe.each(deploys.map((d) => [d.name, d] as const))('%s', (_, deploy) => {
  const kinds = [...new Set([...deploy.images.values()].map((i) => i.kind))].join(' and ');
  it(`runs ${deploy.overlay} with ${kinds} images: services ready on their probe paths, the Job exits 0`, async () => {
    const objects = renderKustomization(resolve(REPO_ROOT, deploy.overlay));
    const usesSentinel = objects.some((o) => o.kind === 'ConfigMap' && dataOf(o).REDIS_SENTINELS);
    const redis = await startRedis();
    const group = usesSentinel ? await startSentinelGroup() : undefined;
    const db = await createTestDatabase();
    try {
      const work = mkdtempSync(join(scratch, 'run-'));
      const problems = await runRender(
        objects,
        deploy.images,
        trees,
        { redisUrl: redis.url, databaseUrl: db.url, sentinels: group?.sentinels },
        work,
      );
      expect(problems).toEqual([]);
    } finally {
      await killAll();
      await redis.stop();
      await group?.stop();
      await db.drop();
    }
  }, 180_000);
});
