import { AUDITOR_ROLE, GatehouseError, IDENTITY_HEADERS } from '@gatehouse/contracts';
import type { Pool } from '@gatehouse/runtime';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { recordRead } from '../repositories/reads.repository.js';

/** Who is reading the trail, from the gateway's identity headers. */
export interface Reader {
  userId: string | null;
  username: string | null;
  sessionId: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    reader: Reader | null;
  }
}

function header(request: FastifyRequest, name: string): string | null {
  const value = request.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text && text.length > 0 ? text : null;
}

/** A JSON object body (an export's filters) is recorded with the read; nothing else is. */
function bodyFields(body: unknown): Record<string, unknown> {
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/**
 * Defense in depth behind the gateway: every `/audit/*` call must carry the
 * `auditor` role in `x-user-roles` (else 403 `insufficient_role`), and every
 * valid call is recorded in `audit_reads` before it is answered; a read that
 * cannot be recorded is not served.
 */
export default fp(
  async function readerIdentity(app: FastifyInstance, options: { pool: Pool }) {
    app.decorateRequest('reader', null);
    app.addHook('onRequest', async (request) => {
      // The matched route, not the URL as sent: the router decodes `/%61udit`.
      if (!request.routeOptions.url?.startsWith('/audit')) return;
      const roles = (header(request, IDENTITY_HEADERS.roles) ?? '').split(',').map((r) => r.trim());
      if (!roles.includes(AUDITOR_ROLE)) {
        throw new GatehouseError('insufficient_role', `The audit trail needs the ${AUDITOR_ROLE} role.`);
      }
      request.reader = {
        userId: header(request, IDENTITY_HEADERS.userId),
        username: header(request, IDENTITY_HEADERS.username),
        sessionId: header(request, IDENTITY_HEADERS.sessionId),
      };
    });
    app.addHook('preHandler', async (request) => {
      if (!request.reader) return;
      try {
        await recordRead(options.pool, {
          ...request.reader,
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
    });
  },
  { name: 'audit-reader-identity', fastify: '5.x' },
);
