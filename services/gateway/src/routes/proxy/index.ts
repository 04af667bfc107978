import replyFrom from '@fastify/reply-from';
import { ASSERTION_AUDIT_AUDIENCE, GatehouseError, IDENTITY_HEADERS } from '@gatehouse/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { UpstreamRoute } from '../../config.js';
import type { AssertionSigner } from '../../domain/assertion-signer.js';
import { requireSecondFactor } from '../../domain/mfa-policy.js';
import { identityHeaders } from '../../plugins/authentication.js';
import { streamingBodyParser } from './body-limit.js';
import { type Headers, upstreamHeaders } from './forward-headers.js';

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

function upstreamError(error: Error & { statusCode?: number }): GatehouseError {
  return error.statusCode === 504
    ? new GatehouseError('upstream_timeout', 'The upstream service did not answer in time.')
    : new GatehouseError('upstream_unavailable', 'The upstream service is unavailable.');
}

function send(request: FastifyRequest, reply: FastifyReply, keepAuthorization: boolean, assertion?: string) {
  return reply.from(request.url, {
    rewriteRequestHeaders: (req, headers) => {
      const out = upstreamHeaders(req as FastifyRequest, headers as Headers);
      out[IDENTITY_HEADERS.requestId] = request.id;
      if (!keepAuthorization) delete out.authorization;
      if (request.identity !== null) Object.assign(out, identityHeaders(request.identity, request.id));
      if (assertion !== undefined) out[IDENTITY_HEADERS.assertion] = assertion;
      return out;
    },
    onError: (rep, { error }) => void rep.send(upstreamError(error)),
    retryDelay: () => null,
  });
}

/**
 * The handler of a proxied route. With an `audience`, an authenticated request
 * also carries the gateway's identity assertion for it: from the signer's
 * cache when fresh (synchronously), else signed once and cached.
 */
function forwardTo(signer: AssertionSigner, keepAuthorization: boolean, audience?: string): RouteHandlerMethod {
  return (request, reply) => {
    const identity = request.identity;
    if (audience === undefined || identity === null) return send(request, reply, keepAuthorization);
    const assertion = signer.get(identity, audience);
    if (typeof assertion === 'string') return send(request, reply, keepAuthorization, assertion);
    return assertion.then((signed) => send(request, reply, keepAuthorization, signed));
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
    const toAuth = forwardTo(signer, true);
    scope.post('/auth/login', toAuth);
    scope.post('/auth/login/mfa', toAuth);
    scope.post('/auth/login/passkey-options', toAuth);
    scope.get('/.well-known/jwks.json', toAuth);
    scope.all('/auth/*', { preHandler: app.requireIdentity() }, toAuth);
  });
  await upstream(options.auditOrigin, (scope) => {
    const auditor = { preHandler: checks(app.requireIdentity('auditor'), '/audit') };
    const toAudit = forwardTo(signer, false, ASSERTION_AUDIT_AUDIENCE);
    scope.all('/audit', auditor, toAudit);
    scope.all('/audit/*', auditor, toAudit);
  });
  for (const route of options.upstreams) {
    await upstream(route.origin, (scope) => {
      const authenticated = { preHandler: checks(app.requireIdentity(), route.prefix) };
      const toUpstream = forwardTo(signer, false, route.prefix);
      scope.all(route.prefix, authenticated, toUpstream);
      scope.all(`${route.prefix}/*`, authenticated, toUpstream);
    });
  }
}
