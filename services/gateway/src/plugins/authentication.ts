import { GatehouseError, IDENTITY_HEADERS } from '@gatehouse/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { authenticate, type Identity, type SessionLookup } from '../domain/authenticate.js';
import type { TokenVerifier } from '../domain/token-verifier.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** A preHandler that requires a valid token and live session, and optionally a role. */
    requireIdentity(role?: string): (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
  interface FastifyRequest {
    /** Set once the token and its session were checked. */
    identity: Identity | null;
  }
}

/** Options of the authentication plugin. */
interface AuthenticationOptions {
  verifyToken: TokenVerifier;
  lookupSession: SessionLookup;
  /**
   * `REDIS_COMMAND_TIMEOUT_MS`: one deadline for all the Redis work of a
   * request, counted from its arrival (a strict rate limiter's command
   * included), so a stalled Redis is a 503 within it on every route.
   */
  redisDeadlineMs: number;
}

const STRIPPED = Object.values(IDENTITY_HEADERS);

/** The identity headers an upstream (or a forward-auth proxy) receives. */
export function identityHeaders(identity: Identity, requestId: string): Record<string, string> {
  return {
    [IDENTITY_HEADERS.userId]: identity.userId,
    [IDENTITY_HEADERS.username]: identity.username,
    [IDENTITY_HEADERS.sessionId]: identity.sessionId,
    [IDENTITY_HEADERS.roles]: identity.roles.join(','),
    [IDENTITY_HEADERS.requestId]: requestId,
  };
}

/**
 * Removes every identity header a client sent, on every path, before any
 * route runs; and provides `requireIdentity(role?)` for routes to use.
 */
export default fp(
  async function authentication(app: FastifyInstance, options: AuthenticationOptions) {
    app.decorateRequest('identity', null);
    app.addHook('onRequest', (request, _reply, done) => {
      const headers = request.raw.headers;
      // Only the names a client sent: deleting an absent one still cost ~30 ns each (docs/performance.md).
      for (const name of STRIPPED) if (headers[name] !== undefined) delete headers[name];
      done();
    });
    app.decorate('requireIdentity', (role?: string) => async (request: FastifyRequest, reply: FastifyReply) => {
      const identity = await authenticate(
        request.headers.authorization,
        options.verifyToken,
        options.lookupSession,
        options.redisDeadlineMs - reply.elapsedTime,
      );
      if (role !== undefined && !identity.roles.includes(role)) {
        throw new GatehouseError('insufficient_role', `The role "${role}" is required.`);
      }
      request.identity = identity;
    });
  },
  { name: 'gateway-authentication', fastify: '5.x' },
);
