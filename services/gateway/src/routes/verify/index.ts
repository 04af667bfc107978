import { GatehouseError } from '@gatehouse/contracts';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { invalidToken } from '../../domain/errors.js';
import { requireSecondFactor } from '../../domain/mfa-policy.js';
import { identityHeaders } from '../../plugins/authentication.js';

const VerifyQuerySchema = Type.Object({
  role: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' })),
  mfa: Type.Optional(Type.Boolean({ description: 'require a second factor in the session' })),
});

/**
 * `GET /verify`: forward-auth for nginx `auth_request`, Traefik ForwardAuth
 * and Envoy ext_authz. 200 with the identity headers when the bearer token
 * and its session are valid, 401 when not (or, with `?mfa=true`, when the
 * session has no second factor), 403 when `?role=` is missing.
 */
export default async function verifyRoutes(app: FastifyInstance) {
  app.route({
    method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    url: '/verify',
    schema: { querystring: VerifyQuerySchema, hide: true },
    preHandler: app.requireIdentity(),
    handler: async (request, reply) => {
      const identity = request.identity;
      if (identity === null) throw invalidToken('A bearer access token is required.');
      const { role, mfa } = request.query as { role?: string; mfa?: boolean };
      if (role !== undefined && !identity.roles.includes(role)) {
        throw new GatehouseError('insufficient_role', `The role "${role}" is required.`);
      }
      if (mfa) await requireSecondFactor(request);
      return reply.code(200).headers(identityHeaders(identity, request.id)).send();
    },
  });
}
