import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allArtifacts, dockerStages, globFiles, loadSkaffold, type SkaffoldConfig } from './support/build.js';
import { serviceOfImage } from './support/cross-checks.js';
import { REPO_ROOT } from './support/paths.js';
import { validateSkaffoldConfig } from './support/schemas.js';

const configs = loadSkaffold();
const [config] = configs as [SkaffoldConfig];
const dockerfile = readFileSync(resolve(REPO_ROOT, 'Dockerfile'), 'utf8');
const stages = dockerStages(dockerfile);

/** The file a stage's CMD runs (`services/x/dist/server.js` is built from `services/x/src/server.ts`). */
function entryOf(stage: string): string | undefined {
  const cmd = stages.get(stage)?.find((line) => line.startsWith('CMD'));
  const args = cmd ? (JSON.parse(cmd.slice(3).trim()) as string[]) : [];
  return args.find((arg) => /^services\/.+\.(js|ts)$/.test(arg));
}

describe('skaffold.yaml', () => {
  it('validates against the skaffold/v4beta14 schema, apiVersion included', () => {
    expect(configs).toHaveLength(1);
    expect(validateSkaffoldConfig(config)).toEqual([]);
  });

  it('fails validation with an older apiVersion or an unknown field', () => {
    expect(validateSkaffoldConfig({ ...config, apiVersion: 'skaffold/v4beta13' })).toEqual([
      '/apiVersion must be skaffold/v4beta14 (got "skaffold/v4beta13")',
    ]);
    const broken = { ...config, deploy: { kubectl: { flags: { aply: ['--force'] } } } };
    expect(validateSkaffoldConfig(broken).join('\n')).toMatch(/additional properties.*aply/);
  });

  it('builds three artifacts, deploys kustomize overlays with kubectl, forwards the gateway to 8080', () => {
    expect(config.build?.artifacts?.map((a) => a.image).sort()).toEqual([
      'gatehouse-audit',
      'gatehouse-auth',
      'gatehouse-gateway',
    ]);
    expect(config.manifests?.kustomize?.paths).toEqual(['deploy/k8s/overlays/dev']);
    expect(config.portForward).toEqual([
      { resourceType: 'service', resourceName: 'gateway', port: 8080, localPort: 8080 },
    ]);
    const profiles = Object.fromEntries((config.profiles ?? []).map((p) => [p.name, p]));
    expect(Object.keys(profiles).sort()).toEqual(['dev', 'prod']);
    expect(profiles.dev?.activation).toEqual([{ command: 'dev' }]);
    expect(profiles.prod?.manifests?.kustomize?.paths).toEqual(['deploy/k8s/overlays/prod']);
  });

  it('every artifact names an existing context, Dockerfile and target', () => {
    const problems: string[] = [];
    for (const { where, artifact } of allArtifacts(config)) {
      const context = resolve(REPO_ROOT, artifact.context ?? '.');
      const file = resolve(context, artifact.docker?.dockerfile ?? 'Dockerfile');
      if (!existsSync(file)) problems.push(`${where} ${artifact.image}: ${file} does not exist`);
      const target = artifact.docker?.target;
      if (!target || !stages.has(target)) problems.push(`${where} ${artifact.image}: no Dockerfile stage ${target}`);
    }
    expect(problems).toEqual([]);
  });

  it('each target runs its own service from a source file that exists', () => {
    const problems: string[] = [];
    for (const { where, artifact } of allArtifacts(config)) {
      const service = serviceOfImage(artifact.image);
      const entry = entryOf(artifact.docker?.target ?? '');
      const source = entry?.replace('/dist/', '/src/').replace(/\.js$/, '.ts');
      if (!entry?.startsWith(`services/${service}/`)) problems.push(`${where} ${artifact.image}: runs ${entry}`);
      else if (!source || !existsSync(resolve(REPO_ROOT, source)))
        problems.push(`${where} ${artifact.image}: ${source} does not exist`);
    }
    expect(problems).toEqual([]);
  });

  it('dev artifacts sync TypeScript sources that exist into the dev targets', () => {
    const dev = (config.profiles ?? []).find((p) => p.name === 'dev');
    for (const artifact of dev?.build?.artifacts ?? []) {
      expect(artifact.docker?.target, artifact.image).toMatch(/-dev$/);
      const rules = artifact.sync?.manual ?? [];
      expect(rules.length, artifact.image).toBeGreaterThan(0);
      for (const rule of rules) {
        expect(globFiles(REPO_ROOT, rule.src).length, `${artifact.image} ${rule.src}`).toBeGreaterThan(0);
        expect(rule.dest).toBe('/app');
      }
    }
    expect(globFiles(REPO_ROOT, 'services/nowhere/src/**/*.ts')).toEqual([]);
  });
});

describe('Dockerfile', () => {
  it('copies only files that exist and that .dockerignore does not exclude', () => {
    const ignored = readFileSync(resolve(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#') && !l.includes('*'));
    const copies = [...stages.values()]
      .flat()
      .filter((line) => /^COPY\s/.test(line) && !line.includes('--from'))
      .map((line) => line.split(/\s+/).filter((w) => !w.startsWith('--'))[1] as string)
      .filter((src) => src !== '.');
    expect(copies).toContain('deploy/docker/migrate.mjs');
    for (const src of copies) {
      expect(existsSync(resolve(REPO_ROOT, src)), src).toBe(true);
      expect(
        ignored.filter((pattern) => src === pattern || src.startsWith(`${pattern}/`)),
        src,
      ).toEqual([]);
    }
  });

  it('runs production targets as a numeric non-root user with node as PID 1', () => {
    expect(stages.get('release')).toContain('USER 1000:1000');
    expect(stages.get('dev')).toContain('USER 1000:1000');
    for (const target of ['gateway', 'auth', 'audit']) {
      expect(entryOf(target)).toBe(`services/${target}/dist/server.js`);
      expect(stages.get(target)?.find((l) => l.startsWith('CMD'))).toMatch(/^CMD \["node", /);
    }
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:\d+\.\d+\.\d+-bookworm-slim@sha256:[0-9a-f]{64}$/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
  });

  it('puts the gatehouse CLI on PATH, at the bin every image carries', () => {
    const link = stages.get('base')?.find((l) => /ln -s \S+ \/usr\/local\/bin\/gatehouse$/.test(l));
    const target = link?.split(/\s+/)[3] ?? '';
    expect(target).toBe('/app/packages/cli/bin/gatehouse.js');
    expect(statSync(resolve(REPO_ROOT, target.replace('/app/', ''))).mode & 0o111).not.toBe(0);
    expect(dockerfile).toMatch(/for part in bin dist migrations/);
  });

  it('the migration Job runs a script and migrations that the images contain', () => {
    expect(existsSync(resolve(REPO_ROOT, 'deploy/docker/migrate.mjs'))).toBe(true);
    for (const service of ['auth', 'audit']) {
      expect(existsSync(resolve(REPO_ROOT, 'services', service, 'migrations')), service).toBe(true);
    }
  });
});
