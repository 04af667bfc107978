import replyFrom from '@fastify/reply-from';
import { GatehouseError, IDENTITY_HEADERS } from '@gatehouse/contracts';
import type { FastifyInstance, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { UpstreamRoute } from '../../config.js';
import { identityHeaders } from '../../plugins/authentication.js';
import { streamingBodyParser } from './body-limit.js';

/** Options of the proxy routes. */
export interface ProxyOptions {
  authOrigin: string;
  auditOrigin: string;
  upstreams: UpstreamRoute[];
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

function forwardTo(origin: string, keepAuthorization: boolean): RouteHandlerMethod {
  return (request, reply) =>
    reply.from(origin + request.url, {
      rewriteRequestHeaders: (req, headers) => forwardHeaders(req as FastifyRequest, headers, keepAuthorization),
      onError: (rep, { error }) => void rep.send(upstreamError(error)),
      retryDelay: () => null,
    });
}

/**
 * `/auth/*` → auth (login and the JWKS without a token, the rest with one),
 * `/audit/*` → audit with the `auditor` role, and every configured prefix →
 * its upstream with a valid session. Bodies are streamed, connections kept
 * alive, and upstream failures answered as JSON 502 / 504.
 */
export default async function proxyRoutes(app: FastifyInstance, options: ProxyOptions) {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', streamingBodyParser(options.bodyLimit));
  await app.register(replyFrom, {
    undici: {
      connections: options.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    },
  });
  const toAuth = forwardTo(options.authOrigin, true);
  app.post('/auth/login', toAuth);
  app.get('/.well-known/jwks.json', toAuth);
  app.all('/auth/*', { preHandler: app.requireIdentity() }, toAuth);
  const toAudit = forwardTo(options.auditOrigin, false);
  const auditor = { preHandler: app.requireIdentity('auditor') };
  app.all('/audit', auditor, toAudit);
  app.all('/audit/*', auditor, toAudit);
  for (const route of options.upstreams) {
    const handler = forwardTo(route.origin, false);
    const authenticated = { preHandler: app.requireIdentity() };
    app.all(route.prefix, authenticated, handler);
    app.all(`${route.prefix}/*`, authenticated, handler);
  }
}
