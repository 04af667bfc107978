import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { schemasDir } from './paths.js';

const require = createRequire(import.meta.url);
const addFormats = require('ajv-formats') as (ajv: Ajv) => Ajv;

/** The Kubernetes version whose schemas the manifests are checked against. */
const K8S_SCHEMA_SET = 'k8s/v1.32.2-standalone-strict';
/** The only skaffold apiVersion the schema folder covers. */
const SKAFFOLD_API_VERSION = 'skaffold/v4beta14';

// One Ajv and one compiled validator per schema file: the pod-template
// schemas take about half a second each to compile.
const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
const validators = new Map<string, ValidateFunction>();

function compile(relativePath: string): ValidateFunction {
  let validate = validators.get(relativePath);
  if (!validate) {
    const file = resolve(schemasDir(), relativePath);
    validate = ajv.compile(JSON.parse(readFileSync(file, 'utf8')));
    validators.set(relativePath, validate);
  }
  return validate;
}

/**
 * The schema file for an object: `<kind>[-<first label of the group>]-<version>.json`,
 * e.g. `deployment-apps-v1.json`, `service-v1.json`.
 */
function k8sSchemaFile(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const groupLabel = group ? `-${group.split('.')[0]}` : '';
  return `${K8S_SCHEMA_SET}/${kind.toLowerCase()}${groupLabel}-${version}.json`;
}

function format(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? [])
    .filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf')
    .map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
}

/** Validates one Kubernetes object; returns the problems (empty when valid). */
export function validateK8sObject(object: {
  apiVersion?: unknown;
  kind?: unknown;
  [field: string]: unknown;
}): string[] {
  if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') {
    return ['missing apiVersion or kind'];
  }
  let validate: ValidateFunction;
  try {
    validate = compile(k8sSchemaFile(object.apiVersion, object.kind));
  } catch (err) {
    return [`no schema for ${object.apiVersion} ${object.kind}: ${(err as Error).message}`];
  }
  return validate(object) ? [] : format(validate.errors);
}

/** Validates one skaffold config document, including its apiVersion value. */
export function validateSkaffoldConfig(config: { apiVersion?: unknown }): string[] {
  const validate = compile(`skaffold/${SKAFFOLD_API_VERSION.split('/')[1]}.json`);
  const problems = validate(config) ? [] : format(validate.errors);
  if (config.apiVersion !== SKAFFOLD_API_VERSION) {
    problems.push(`/apiVersion must be ${SKAFFOLD_API_VERSION} (got ${JSON.stringify(config.apiVersion)})`);
  }
  return problems;
}
