import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { overlayDir, REPO_ROOT } from './support/paths.js';
import { type K8sObject, renderKustomization } from './support/render.js';

// The prod overlay's PrometheusRule: its spec is a Prometheus rule file, so
// promtool (Debian's prometheus package, from scripts/ensure-services.sh)
// checks it and runs its unit tests (deploy/test/rules/alerts.test.yaml).
const scratch = mkdtempSync(join(tmpdir(), 'gatehouse-rules-'));
let rule: K8sObject & { spec: { groups: { name: string; rules: { alert?: string }[] }[] } };
beforeAll(() => {
  if (spawnSync('promtool', ['--version']).error) {
    throw new Error('promtool was not found: run scripts/ensure-services.sh (Debian: apt-get install prometheus)');
  }
  const found = renderKustomization(overlayDir('prod')).find((o) => o.kind === 'PrometheusRule');
  if (!found) throw new Error('the prod overlay renders no PrometheusRule');
  rule = found as typeof rule;
  copyFileSync(join(REPO_ROOT, 'deploy/test/rules/alerts.test.yaml'), join(scratch, 'alerts.test.yaml'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs promtool on the rule file `spec`; returns its exit code and output. */
function promtool(command: 'check' | 'test', spec: unknown): { status: number | null; output: string } {
  writeFileSync(join(scratch, 'gatehouse.rules.yaml'), stringify(spec));
  const file = command === 'check' ? 'gatehouse.rules.yaml' : 'alerts.test.yaml';
  const run = spawnSync('promtool', [command, 'rules', file], { cwd: scratch, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('the PrometheusRule of the prod overlay', () => {
  it('is a PrometheusRule whose spec holds only rule groups', () => {
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(Object.keys(rule.spec)).toEqual(['groups']);
    const alerts = rule.spec.groups.flatMap((g) => g.rules.map((r) => r.alert));
    for (const alert of ['GatehouseRedisFailover', 'GatehouseRedisReplicaLag', 'GatehouseRedisMemory']) {
      expect(alerts).toContain(alert);
    }
  });

  it('passes promtool check rules', () => {
    const { status, output } = promtool('check', rule.spec);
    expect(output).toContain('SUCCESS');
    expect(status).toBe(0);
  });

  it('passes its promtool unit tests', () => {
    const { status, output } = promtool('test', rule.spec);
    expect(status, output).toBe(0);
  });

  it('fails promtool on a broken expression and on an alert that no longer fires', () => {
    const broken = structuredClone(rule.spec);
    const first = broken.groups[0]?.rules[0] as { expr: string };
    first.expr = 'max(redis_connected_slaves'; // unbalanced
    expect(promtool('check', broken).status).not.toBe(0);
    const silent = structuredClone(rule.spec);
    (silent.groups[0]?.rules[0] as { expr: string }).expr = 'vector(0) > 1';
    expect(promtool('test', silent).status).not.toBe(0);
  });
});
