import replyFrom from '@fastify/reply-from';
import { GatehouseError, IDENTITY_HEADERS } from '@gatehouse/contracts';
import type { FastifyInstance, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { UpstreamRoute } from '../../config.js';
import { requireSecondFactor } from '../../domain/mfa-policy.js';
import { identityHeaders } from '../../plugins/authentication.js';
import { streamingBodyParser } from './body-limit.js';

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
}

type Headers = Record<string, string | string[] | undefined>;

function forwardHeaders(request: FastifyRequest, headers: Headers, keepAuthorization: boolean): Headers {
  const out: Headers = { ...headers, 'x-forwarded-for': request.ip, 'x-forwarded-proto': request.protocol };
  out[IDENTITY_HEADERS.requestId] = request.id;
  if (!keepAuthorization) delete out.authorization;
  if (request.identity !== null) Object.assign(out, identityHeaders(request.identity, request.id));
  return out;
}

function upstreamError(error: Error & { statusCode?: number }): GatehouseError {
  return error.statusCode === 504
    ? new GatehouseError('upstream_timeout', 'The upstream service did not answer in time.')
    : new GatehouseError('upstream_unavailable', 'The upstream service is unavailable.');
}

function forwardTo(keepAuthorization: boolean): RouteHandlerMethod {
  return (request, reply) =>
    reply.from(request.url, {
      rewriteRequestHeaders: (req, headers) => forwardHeaders(req as FastifyRequest, headers, keepAuthorization),
      onError: (rep, { error }) => void rep.send(upstreamError(error)),
      retryDelay: () => null,
    });
}

/**
 * `/auth/*` → auth (login and the JWKS without a token, the rest with one),
 * `/audit/*` → audit with the `auditor` role, and every configured prefix →
 * its upstream with a valid session; a second factor too where
 * `mfaRequired` lists the route. Bodies are streamed, connections kept
 * alive, and upstream failures answered as JSON 502 / 504.
 */
export default async function proxyRoutes(app: FastifyInstance, options: ProxyOptions) {
  const checks = (identity: ReturnType<FastifyInstance['requireIdentity']>, route: string) =>
    options.mfaRequired.has(route) ? [identity, requireSecondFactor] : identity;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', streamingBodyParser(options.bodyLimit));
  // One reply-from (and so one undici pool with `base`) per origin, as a plain proxy would have.
  const upstream = (origin: string, routes: (scope: FastifyInstance) => void) =>
    app.register(async (scope) => {
      await scope.register(replyFrom, {
        base: origin,
        undici: {
          connections: options.connections,
          pipelining: 1,
          keepAliveTimeout: 30_000,
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
        },
      });
      routes(scope);
    });
  await upstream(options.authOrigin, (scope) => {
    const toAuth = forwardTo(true);
    scope.post('/auth/login', toAuth);
    scope.post('/auth/login/mfa', toAuth);
    scope.post('/auth/login/passkey-options', toAuth);
    scope.get('/.well-known/jwks.json', toAuth);
    scope.all('/auth/*', { preHandler: app.requireIdentity() }, toAuth);
  });
  await upstream(options.auditOrigin, (scope) => {
    const auditor = { preHandler: checks(app.requireIdentity('auditor'), '/audit') };
    scope.all('/audit', auditor, forwardTo(false));
    scope.all('/audit/*', auditor, forwardTo(false));
  });
  for (const route of options.upstreams) {
    await upstream(route.origin, (scope) => {
      const authenticated = { preHandler: checks(app.requireIdentity(), route.prefix) };
      scope.all(route.prefix, authenticated, forwardTo(false));
      scope.all(`${route.prefix}/*`, authenticated, forwardTo(false));
    });
  }
}
