import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IDENTITY_HEADERS } from '@gatehouse/contracts';
import Fastify, { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Logger } from 'pino';
import errorHandler from './error-handler.js';
import { requestLoggerFactory } from './logger.js';
import { parseTrustProxy } from './trust-proxy.js';
import { validatorCompiler } from './validators.js';

/** A route as registered: what a test walks to check every route of a service. */
export interface RegisteredRoute {
  method: string;
  url: string;
  schema: Record<string, unknown> | undefined;
}

const ROUTES = new WeakMap<object, RegisteredRoute[]>();

/**
 * Every route registered on an app made by {@link createBaseApp} (any
 * plugin, any prefix), in registration order.
 *
 * @example
 * ```ts
 * for (const route of registeredRoutes(app)) await app.inject({ method: route.method, url: route.url });
 * ```
 */
export function registeredRoutes(app: object): readonly RegisteredRoute[] {
  return ROUTES.get(app) ?? [];
}

/**
 * The origin form (`/path?query`) of an absolute-form request target
 * (`GET http://x/path`, RFC 9112 §3.2.2): the router already matches such a
 * target by its path, so without this `request.url` would disagree with the
 * route (a prefix check on it would be skipped) and a proxy would forward to
 * the host the client named.
 */
function originForm(req: { url?: string }): string {
  const url = req.url ?? '/';
  if (url.startsWith('/') || url === '*') return url;
  try {
    const { pathname, search } = new URL(url);
    return pathname + search;
  } catch {
    return url;
  }
}

/**
 * One access line per request, when it completes, at `info` (method, url,
 * client address, status, response time; Fastify's default writes two, the
 * first without the outcome): `LOG_LEVEL=warn`, or a route's `logLevel: 'warn'`,
 * leaves a request's log empty unless it fails.
 */
class AccessLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error)
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

/** Options of {@link createBaseApp}. */
export interface BaseAppOptions {
  logger: Logger;
  bodyLimit?: number;
  /** The `TRUST_PROXY` value (see `TrustProxyEnv`); default `false`. */
  trustProxy?: string;
  /** Header a request id is taken from; `false` always mints a new one (an edge service). Default `x-request-id`. */
  requestIdHeader?: string | false;
  /**
   * Closes the service's clients (Redis, PostgreSQL). Its `onClose` hook is
   * the app's first, so it runs after every other (Fastify runs them
   * last-added first): consumers and workers finish before their clients go.
   */
  closeClients?: () => Promise<void>;
}

/**
 * Creates the Fastify instance every service builds on: the process' root
 * logger (a request's child made only when it logs), one access line per
 * request at `info`, request ids taken from or put in `x-request-id`, a 64 KiB body
 * limit by default, the shared error handler, strict JSON body validation
 * (see validators.ts), `Cache-Control: no-store` on every reply that does not
 * set its own, and `Connection: close` on replies sent while shutting down.
 *
 * @example
 * ```ts
 * const app = createBaseApp({ logger });
 * await app.register(healthPlugin, { checks });
 * ```
 */
export function createBaseApp(options: BaseAppOptions) {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    trustProxy: parseTrustProxy(options.trustProxy ?? 'false'),
    requestIdHeader: options.requestIdHeader ?? IDENTITY_HEADERS.requestId,
    // Random, not a counter: a counter would tell any client how many requests a replica has served.
    genReqId: () => randomUUID(),
    childLoggerFactory: requestLoggerFactory,
    logController: new AccessLog(),
    // Plugins wait for Redis and PostgreSQL at boot; 10 s (the default) is short on a loaded node.
    pluginTimeout: 30_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    rewriteUrl: originForm,
    // A path that is not valid percent-encoded UTF-8 (`/%ED%A0%80`): the one error shape, not Fastify's.
    frameworkErrors: (err, _request, reply) =>
      void (reply as FastifyReply).code(400).send({ error: 'validation_failed', message: err.message }),
  }).withTypeProvider<TypeBoxTypeProvider>();
  if (options.closeClients) app.addHook('onClose', options.closeClients);
  const routes: RegisteredRoute[] = [];
  ROUTES.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      routes.push({ method, url: route.url, schema: route.schema as RegisteredRoute['schema'] });
    }
  });
  app.setValidatorCompiler(validatorCompiler);
  app.register(errorHandler);
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header(IDENTITY_HEADERS.requestId, request.id);
    // Tokens, sessions and audit records must never sit in a shared or browser cache (RFC 6749 §5.1).
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    // Node closes only idle keep-alive connections on close(); a busy one would
    // otherwise outlive the shutdown grace period.
    if (!app.server.listening) reply.header('connection', 'close');
    done(null, payload);
  });
  return app;
}

/** The type of an app made by {@link createBaseApp}. */
export type BaseApp = ReturnType<typeof createBaseApp>;
