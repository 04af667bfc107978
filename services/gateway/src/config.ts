import { SESSION_CACHE_LEASE_MS_DEFAULT } from '@gatehouse/contracts';
import { CommonEnv, ConfigError, commaList, Integer, loadConfig, Port, TrustProxyEnv } from '@gatehouse/runtime';
import { type Static, Type } from '@sinclair/typebox';

/** The environment variables of the gateway; keys are the variable names. */
export const ConfigSchema = Type.Object({
  ...CommonEnv,
  PORT: Port(8080),
  AUTH_URL: Type.String({ default: 'http://127.0.0.1:8081' }),
  AUDIT_URL: Type.String({ default: 'http://127.0.0.1:8082' }),
  JWKS_URL: Type.String({ default: '', description: 'defaults to AUTH_URL + /.well-known/jwks.json' }),
  JWKS_COOLDOWN_MS: Integer(5000, 0),
  JWT_ISSUER: Type.String({ minLength: 1, default: 'gatehouse' }),
  JWT_AUDIENCE: Type.String({ minLength: 1, default: 'gatehouse' }),
  UPSTREAMS: Type.String({ default: '', description: 'comma-separated /prefix=http://host:port pairs' }),
  MFA_REQUIRED_ROUTES: Type.String({
    default: '',
    description: 'comma-separated /audit and UPSTREAMS prefixes whose sessions need a second factor',
  }),
  UPSTREAM_TIMEOUT_MS: Integer(30_000),
  UPSTREAM_CONNECTIONS: Integer(128),
  RATE_LIMIT_MAX: Integer(600, 0),
  RATE_LIMIT_WINDOW_SECONDS: Integer(60),
  RATE_LIMIT_MODE: Type.Union([Type.Literal('local'), Type.Literal('strict')], {
    default: 'local',
    description:
      'local: counted in memory, added to Redis every RATE_LIMIT_SYNC_MS; strict: one Redis command per request',
  }),
  RATE_LIMIT_SYNC_MS: Integer(100, 10),
  ...TrustProxyEnv,
  BODY_LIMIT_BYTES: Integer(1024 * 1024),
  TOKEN_CACHE_SIZE: Integer(100_000, 0),
  SESSION_CACHE_SIZE: Integer(100_000, 0),
  SESSION_CACHE_LEASE_MS: Integer(SESSION_CACHE_LEASE_MS_DEFAULT, 50),
  SESSION_HEARTBEAT_MS: Integer(100, 10),
  SESSION_IDLE_TIMEOUT_SECONDS: Integer(0, 0),
  ASSERTION_KEY_FILE: Type.String({ minLength: 1, default: '.gatehouse/keys/gateway-assertion.pem' }),
  ASSERTION_GENERATE_KEY: Type.Boolean({ default: false }),
});

/** The validated, frozen configuration of the gateway. */
export type GatewayConfig = Readonly<Static<typeof ConfigSchema>>;

/** One entry of the upstream route table. */
export interface UpstreamRoute {
  prefix: string;
  origin: string;
}

/**
 * Validates `env` against {@link ConfigSchema}; throws a `ConfigError` naming
 * the first bad variable. `UPSTREAMS` is parsed here too
 * so a typo stops start-up.
 */
export function loadServiceConfig(env: NodeJS.ProcessEnv): GatewayConfig {
  const config = loadConfig(ConfigSchema, env);
  parseMfaRequiredRoutes(config.MFA_REQUIRED_ROUTES, parseUpstreams(config.UPSTREAMS));
  for (const name of ['AUTH_URL', 'AUDIT_URL'] as const) parseOrigin(name, config[name]);
  if (config.JWKS_URL !== '') parseOrigin('JWKS_URL', config.JWKS_URL);
  return config;
}

function parseOrigin(variable: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(variable, `is not a URL (got ${JSON.stringify(value)})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(variable, `must be an http(s) URL (got ${JSON.stringify(value)})`);
  }
  return url.origin;
}

/**
 * Parses `UPSTREAMS` (`/api/orders=http://orders:3000,/api/demo=http://127.0.0.1:8090`)
 * into routes, longest prefix first.
 */
export function parseUpstreams(value: string): UpstreamRoute[] {
  const routes: UpstreamRoute[] = [];
  for (const pair of commaList(value)) {
    const at = pair.indexOf('=');
    const prefix = at > 0 ? pair.slice(0, at).replace(/\/+$/, '') : '';
    if (
      !/^\/[A-Za-z0-9._~\-/]+$/.test(prefix) ||
      /^\/(auth|audit|verify|healthz|readyz|metrics|console|\.well-known)(\/|$)/.test(prefix)
    ) {
      throw new ConfigError('UPSTREAMS', `bad or reserved prefix in ${JSON.stringify(pair)}`);
    }
    routes.push({ prefix, origin: parseOrigin('UPSTREAMS', pair.slice(at + 1)) });
  }
  return routes.sort((a, b) => b.prefix.length - a.prefix.length);
}

/**
 * Parses `MFA_REQUIRED_ROUTES` (`/audit,/api/orders`): each entry is `/audit`
 * or a prefix of `UPSTREAMS`, so a typo cannot leave a route unprotected.
 */
export function parseMfaRequiredRoutes(value: string, upstreams: UpstreamRoute[]): Set<string> {
  const known = new Set(['/audit', ...upstreams.map((u) => u.prefix)]);
  const routes = new Set<string>();
  for (const entry of commaList(value).map((p) => p.replace(/\/+$/, ''))) {
    if (entry === '') continue;
    if (!known.has(entry)) {
      throw new ConfigError(
        'MFA_REQUIRED_ROUTES',
        `${JSON.stringify(entry)} is neither /audit nor an UPSTREAMS prefix`,
      );
    }
    routes.add(entry);
  }
  return routes;
}

/** The JWKS address: `JWKS_URL`, else the auth service's well-known path. */
export function jwksUrl(config: Pick<GatewayConfig, 'JWKS_URL' | 'AUTH_URL'>): URL {
  return new URL(
    config.JWKS_URL !== '' ? config.JWKS_URL : `${config.AUTH_URL.replace(/\/+$/, '')}/.well-known/jwks.json`,
  );
}
