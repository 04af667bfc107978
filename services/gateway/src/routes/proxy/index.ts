import { Readable } from 'node:stream';
import { ASSERTION_AUDIT_AUDIENCE, GatehouseError, IDENTITY_HEADERS } from '@gatehouse/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { type Dispatcher, Pool } from 'undici';
import type { UpstreamRoute } from '../../config.js';
import type { AssertionSigner } from '../../domain/assertion-signer.js';
import { requireSecondFactor } from '../../domain/mfa-policy.js';
import { identityHeaders } from '../../plugins/authentication.js';
import { streamingBodyParser } from './body-limit.js';
import { copyToReply, upstreamHeaders } from './forward-headers.js';

/** Options of the proxy routes. */
export interface ProxyOptions {
  authOrigin: string;
  auditOrigin: string;
  upstreams: UpstreamRoute[];
  /** `/audit` and upstream prefixes whose sessions need a second factor (`MFA_REQUIRED_ROUTES`). */
  mfaRequired: ReadonlySet<string>;
  timeoutMs: number;
  connections: number;
  bodyLimit: number;
  signer: AssertionSigner;
}

function upstreamError(error: Error & { code?: string }): GatehouseError {
  return error.code === 'UND_ERR_HEADERS_TIMEOUT'
    ? new GatehouseError('upstream_timeout', 'The upstream service did not answer in time.')
    : new GatehouseError('upstream_unavailable', 'The upstream service is unavailable.');
}

/**
 * True when a path has a `..` segment, percent-encoded or between
 * backslashes too (URL parsers read `\\` as `/` in http URLs): the upstream
 * would resolve it outside the route's prefix.
 */
export function climbsOut(url: string): boolean {
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  if (!path.includes('.') && !path.includes('%')) return false;
  const segments = path
    .replace(/%2e/gi, '.')
    .replace(/%2f|%5c|\\/gi, '/')
    .split('/');
  return segments.includes('..');
}

/** What undici refuses in a request path (its own check, `lib/core/request.js`). */
const OUTSIDE_REQUEST_TARGET = /[^\u0021-\u00ff]/;

/** One origin's connections, and the `host` its requests carry. */
interface Upstream {
  pool: Pool;
  host: string;
}

/**
 * Forwards `request` to `upstream` with undici and streams the answer back:
 * the path unchanged, the headers of {@link upstreamHeaders} plus the
 * request id, the identity headers and `assertion`, the body streamed. An
 * upstream that fails before its headers is a JSON 502, or 504 past
 * `UPSTREAM_TIMEOUT_MS`; no retries.
 */
function forward(
  upstream: Upstream,
  request: FastifyRequest,
  reply: FastifyReply,
  keepAuthorization: boolean,
  assertion?: string,
) {
  if (climbsOut(request.url)) {
    return reply.send(new GatehouseError('validation_failed', 'The path must not contain a ".." segment.'));
  }
  // Node's parser lets no such request line through; an injected request can carry one, and undici refuses it.
  if (OUTSIDE_REQUEST_TARGET.test(request.url)) {
    return reply.send(new GatehouseError('validation_failed', 'The path has characters a request line cannot carry.'));
  }
  const headers = upstreamHeaders(request.headers, {
    host: upstream.host,
    ip: request.ip,
    protocol: request.protocol,
    keepAuthorization,
  });
  if (request.identity === null) headers.push(IDENTITY_HEADERS.requestId, request.id);
  else
    for (const [name, value] of Object.entries(identityHeaders(request.identity, request.id)))
      headers.push(name, value);
  if (assertion !== undefined) headers.push(IDENTITY_HEADERS.assertion, assertion);
  const body = request.body instanceof Readable ? request.body : null;
  upstream.pool.request(
    { path: request.url, method: request.method as Dispatcher.HttpMethod, headers, body },
    (error, res) => {
      if (error !== null) {
        request.log.warn({ err: error }, 'upstream request failed');
        if (!reply.sent) reply.send(upstreamError(error));
        return;
      }
      // The client left before the upstream answered.
      if (request.raw.readableAborted) return void res.body.destroy();
      if (res.statusCode < 200 || res.statusCode > 599) {
        res.body.destroy();
        return void reply.send(
          new GatehouseError('upstream_unavailable', 'The upstream service sent an invalid status.'),
        );
      }
      copyToReply(res.headers, reply);
      // An HTTP/1 connection is reusable only once its request body was read; the upstream answered before.
      if (!request.raw.complete) reply.header('connection', 'close');
      reply.code(res.statusCode).send(res.body);
    },
  );
  return reply;
}

/**
 * The handler of a proxied route. With an `audience`, an authenticated request
 * also carries the gateway's identity assertion for it: from the signer's
 * cache when fresh (synchronously), else signed once and cached.
 */
function forwardTo(
  upstream: Upstream,
  signer: AssertionSigner,
  keepAuthorization: boolean,
  audience?: string,
): RouteHandlerMethod {
  return (request, reply) => {
    const identity = request.identity;
    if (audience === undefined || identity === null) return forward(upstream, request, reply, keepAuthorization);
    const assertion = signer.get(identity, audience);
    if (typeof assertion === 'string') return forward(upstream, request, reply, keepAuthorization, assertion);
    return assertion.then((signed) => forward(upstream, request, reply, keepAuthorization, signed));
  };
}

/**
 * `/auth/*` → auth (login and the JWKS without a token, the rest with one),
 * `/audit/*` → audit with the `auditor` role, and every configured prefix →
 * its upstream with a valid session; a second factor too where
 * `mfaRequired` lists the route. Audit and the upstreams get an identity
 * assertion whose `aud` is `audit` or the route prefix. Bodies are streamed,
 * connections kept alive, and upstream failures answered as JSON 502 / 504.
 */
export default async function proxyRoutes(app: FastifyInstance, options: ProxyOptions) {
  const { signer } = options;
  const checks = (identity: ReturnType<FastifyInstance['requireIdentity']>, route: string) =>
    options.mfaRequired.has(route) ? [identity, requireSecondFactor] : identity;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', streamingBodyParser(options.bodyLimit));
  // One undici pool per origin, as a plain proxy would have.
  const upstream = (origin: string): Upstream => {
    const pool = new Pool(origin, {
      connections: options.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    app.addHook('onClose', async () => pool.close());
    return { pool, host: new URL(origin).host };
  };
  const toAuth = forwardTo(upstream(options.authOrigin), signer, true);
  app.post('/auth/login', toAuth);
  app.post('/auth/login/mfa', toAuth);
  app.post('/auth/login/passkey-options', toAuth);
  app.get('/.well-known/jwks.json', toAuth);
  app.all('/auth/*', { preHandler: app.requireIdentity() }, toAuth);
  const auditor = { preHandler: checks(app.requireIdentity('auditor'), '/audit') };
  const toAudit = forwardTo(upstream(options.auditOrigin), signer, false, ASSERTION_AUDIT_AUDIENCE);
  app.all('/audit', auditor, toAudit);
  app.all('/audit/*', auditor, toAudit);
  for (const route of options.upstreams) {
    const authenticated = { preHandler: checks(app.requireIdentity(), route.prefix) };
    const toUpstream = forwardTo(upstream(route.origin), signer, false, route.prefix);
    app.all(route.prefix, authenticated, toUpstream);
    app.all(`${route.prefix}/*`, authenticated, toUpstream);
  }
}
