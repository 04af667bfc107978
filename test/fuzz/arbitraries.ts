import type { RegisteredRoute } from '@gatehouse/runtime';
import fc from 'fast-check';

type Schema = Record<string, unknown>;

/** Strings an attacker tries: control characters, lone surrogates, bidi overrides, huge and odd numbers, dates. */
const HOSTILE_TEXT = fc.constantFrom(
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDC00x',
  '\u202Eevil',
  '\uFEFF',
  '\r\nx-injected: 1',
  '../../etc/passwd',
  '%00',
  '%',
  '%ZZ',
  "' OR 1=1 --",
  '=HYPERLINK("x")',
  'İı\u212A\u017F\u00DF\u03C2',
  '9'.repeat(400),
  '-1',
  '1e309',
  'NaN',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:60Z',
  '+275760-09-13T00:00:00Z',
  'Tue',
  'x'.repeat(5000),
  '[object Object]',
  '__proto__',
  '',
);

/** Any value of a JSON type a schema did not ask for. */
const WRONG_TYPE = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

const hostile = fc.oneof(HOSTILE_TEXT, WRONG_TYPE, fc.string({ unit: 'binary', maxLength: 40 }));

/** A value that satisfies `schema` as far as this small generator understands it. */
function valid(schema: Schema): fc.Arbitrary<unknown> {
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const union = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (union && union.length > 0) return fc.oneof(...union.map(valid));
  switch (schema.type) {
    case 'string': {
      if (schema.format === 'uuid') return fc.uuid();
      if (schema.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
      if (typeof schema.pattern === 'string') return fc.stringMatching(new RegExp(schema.pattern));
      const maxLength = Math.min(Number(schema.maxLength ?? 40), 40);
      return fc.string({ minLength: Math.min(Number(schema.minLength ?? 0), maxLength), maxLength });
    }
    case 'integer':
      return fc.integer({ min: Number(schema.minimum ?? -1e6), max: Number(schema.maximum ?? 1e6) });
    case 'number':
      return fc.double({ noNaN: true, min: Number(schema.minimum ?? -1e6), max: Number(schema.maximum ?? 1e6) });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(mostlyValid((schema.items as Schema) ?? {}), { maxLength: 4 });
    case 'object':
      return objectOf(schema);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Mostly valid, sometimes hostile: so a run reaches handlers as well as validators. */
function mostlyValid(schema: Schema): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 3, arbitrary: valid(schema) }, { weight: 1, arbitrary: hostile });
}

/** An object with each declared property present or not, plus now and then a property nobody declared. */
function objectOf(schema: Schema): fc.Arbitrary<Record<string, unknown>> {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const record = fc.record(Object.fromEntries(Object.entries(properties).map(([k, s]) => [k, mostlyValid(s)])), {
    requiredKeys: [],
  });
  return fc
    .tuple(record, fc.option(fc.tuple(fc.string({ maxLength: 8 }), hostile), { freq: 5 }))
    .map(([r, extra]) => (extra ? { ...r, [extra[0]]: extra[1] } : r));
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
}

/** A query string from the route's querystring schema, with duplicated parameters now and then. */
function queryOf(schema: Schema | undefined): fc.Arbitrary<string> {
  return fc.tuple(objectOf(schema ?? { type: 'object' }), fc.boolean()).map(([params, duplicate]) => {
    const pairs: Array<[string, string]> = Object.entries(params).map(([k, v]) => [k, text(v)]);
    if (duplicate && pairs[0]) pairs.push([pairs[0][0], 'dup']);
    return new URLSearchParams(pairs).toString();
  });
}

/** Percent-encodes a segment; a lone surrogate becomes the bytes a hostile client sends for it (CESU-8). */
function encodeSegment(value: string): string {
  return value
    .split(/([\uD800-\uDFFF])/)
    .map((part) => (/^[\uD800-\uDFFF]$/.test(part) ? '%ED%A0%80' : encodeURIComponent(part)))
    .join('');
}

/** A path segment for a `:param` or a `*` tail. */
function segmentOf(schema: Schema | undefined): fc.Arbitrary<string> {
  return mostlyValid(schema ?? { type: 'string' }).map((v) => encodeSegment(text(v)) || 'x');
}

/** The same path as a client may spell it: percent-encoded letters, mixed case, doubled or trailing slashes. */
export function mangled(path: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constant(path),
    fc.nat({ max: Math.max(0, path.length - 1) }).map((i) => {
      const c = path[i] as string;
      return /[a-z]/i.test(c) ? `${path.slice(0, i)}%${c.charCodeAt(0).toString(16)}${path.slice(i + 1)}` : path;
    }),
    fc.constant(path.toUpperCase()),
    fc.constant(path.replace('/', '//')),
    fc.constant(`${path}/`),
    fc.constant(`${path}/..`),
    fc.constant(path.replace(/\/([^/]+)$/, '/./$1')),
  );
}

/** One generated request to `route`. */
export interface FuzzRequest {
  method: string;
  url: string;
  payload?: string;
  headers: Record<string, string>;
}

/** Requests for `route`: its path with generated parameters, a query and a body from its schema plus mutations. */
export function requestsFor(route: RegisteredRoute): fc.Arbitrary<FuzzRequest> {
  const schema = route.schema ?? {};
  const params = ((schema.params as Schema | undefined)?.properties ?? {}) as Record<string, Schema>;
  const parts = route.url.split('/').map((part) => {
    if (part.startsWith(':')) return segmentOf(params[part.slice(1)]);
    if (part === '*') return fc.array(segmentOf(undefined), { maxLength: 3 }).map((s) => s.join('/'));
    return fc.constant(part);
  });
  const body = schema.body
    ? fc.oneof(
        mostlyValid(schema.body as Schema).map((v) => JSON.stringify(v) ?? 'null'),
        fc.string({ maxLength: 30 }),
      )
    : fc.option(fc.json({ maxDepth: 2 }), { nil: undefined });
  const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', '');
  return fc
    .tuple(fc.tuple(...parts), queryOf(schema.querystring as Schema | undefined), body, contentType)
    .map(([segments, query, payload, type]) => {
      const path = segments.join('/') || '/';
      const hasBody = payload !== undefined && !['GET', 'HEAD'].includes(route.method);
      return {
        method: route.method,
        url: query ? `${path}?${query}` : path,
        headers: (hasBody && type ? { 'content-type': type } : {}) as Record<string, string>,
        ...(hasBody ? { payload } : {}),
      };
    });
}
