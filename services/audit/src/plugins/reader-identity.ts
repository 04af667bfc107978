import { AUDITOR_ROLE, GatehouseError } from '@gatehouse/contracts';
import type { Pool } from '@gatehouse/runtime';
import type { IdentityVerifier } from '@gatehouse/upstream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { recordRead } from '../repositories/reads.repository.js';

/** Who is reading the trail, from the gateway's identity assertion. */
interface Reader {
  userId: string | null;
  username: string | null;
  sessionId: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    reader: Reader | null;
  }
  interface FastifyContextConfig {
    /** A route anyone may call: no assertion, no read recorded. */
    public?: boolean;
  }
}

/** Options of the reader identity plugin. */
interface ReaderIdentityOptions {
  pool: Pool;
  /** Verifies the gateway's assertion (`aud` = audit). */
  verify: IdentityVerifier;
}

/** A JSON object body (an export's filters) is recorded with the read; nothing else is. */
function bodyFields(body: unknown): Record<string, unknown> {
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/** A route's hooks of one kind, with `hook` last. */
function append<T>(existing: T | T[] | undefined, hook: T): T[] {
  if (existing === undefined) return [hook];
  return Array.isArray(existing) ? [...existing, hook] : [existing, hook];
}

/**
 * Zero trust behind the gateway: every route registered after this plugin
 * (all of the query API; health, metrics and docs come before it) gets two
 * hooks on the route itself, whatever URL spelling reached it:
 * `requireAuditor` (onRequest) accepts only a valid gateway assertion whose
 * `aud` is audit and whose roles include `auditor` (else 401 / 403), and
 * `recordAuditRead` (preHandler) records the call in `audit_reads` before it
 * is answered; a read that cannot be recorded is not served. A route opts out
 * only with `config: { public: true }`.
 */
export default fp(
  async function readerIdentity(app: FastifyInstance, options: ReaderIdentityOptions) {
    app.decorateRequest('reader', null);

    async function requireAuditor(request: FastifyRequest) {
      const identity = await options.verify(request);
      if (!identity.roles.includes(AUDITOR_ROLE)) {
        throw new GatehouseError('insufficient_role', `The audit trail needs the ${AUDITOR_ROLE} role.`);
      }
      request.reader = { userId: identity.userId, username: identity.username, sessionId: identity.sessionId };
    }

    async function recordAuditRead(request: FastifyRequest) {
      const reader = request.reader;
      if (reader === null) throw new GatehouseError('invalid_token', 'The reader is unknown.');
      try {
        await recordRead(options.pool, {
          ...reader,
          requestId: request.id,
          method: request.method,
          route: request.routeOptions.url ?? request.url,
          params: { ...(request.params as object), ...(request.query as object), ...bodyFields(request.body) },
        });
      } catch (err) {
        throw new GatehouseError('dependency_unavailable', 'The read could not be recorded; try again.', {
          cause: err,
        });
      }
    }

    app.addHook('onRoute', (route) => {
      if (route.config?.public === true) return;
      route.onRequest = append(route.onRequest, requireAuditor as never);
      route.preHandler = append(route.preHandler, recordAuditRead as never);
    });
  },
  { name: 'audit-reader-identity', fastify: '5.x' },
);
