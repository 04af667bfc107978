import {
  AUDITOR_ROLE,
  ErrorResponseSchema,
  GatehouseError,
  LogoutResponseSchema,
  MfaStatusSchema,
} from '@gatehouse/contracts';
import type { BaseApp } from '@gatehouse/runtime';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { AuthContext } from '../../context.js';
import { adminRevokeAllSessions, adminRevokeSession } from '../../domain/admin-revoke.js';
import { authenticate } from '../../domain/authenticate.js';
import { mfaStatus } from '../../domain/mfa/manage.js';
import type { RevocationActor } from '../../domain/sessions.js';
import { clientInfo } from '../client-info.js';
import { BEARER_ERRORS, BEARER_SECURITY } from '../schemas.js';

const UserParams = Type.Object({ userId: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
const SessionParams = Type.Object(
  { userId: Type.String({ format: 'uuid' }), sessionId: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);

/** Authenticates the bearer and requires the `auditor` role in its claims (403 `insufficient_role`). */
async function requireAuditor(ctx: AuthContext, request: FastifyRequest): Promise<RevocationActor> {
  const { claims, session } = await authenticate(ctx.authenticate, request.headers.authorization, {
    requireSession: true,
  });
  if (!claims.roles.includes(AUDITOR_ROLE)) {
    throw new GatehouseError('insufficient_role', `Revoking another user's sessions needs the ${AUDITOR_ROLE} role.`);
  }
  return { userId: claims.sub, username: session?.username ?? null, sessionId: claims.sid };
}

/**
 * `DELETE /auth/admin/users/:userId/sessions/:sessionId` and
 * `DELETE /auth/admin/users/:userId/sessions`: an auditor ends a user's
 * sessions; each call is published as `auth.sessions.revoked` (`admin_revoked`, with `actor`).
 */
export default async function adminRoutes(app: BaseApp, options: { ctx: AuthContext }) {
  const { ctx } = options;
  // The caller is checked before the params are validated: no hints to a caller without the role.
  const actors = new WeakMap<FastifyRequest, RevocationActor>();
  const onRequest = async (request: FastifyRequest) => void actors.set(request, await requireAuditor(ctx, request));
  const actorOf = (request: FastifyRequest) => {
    const actor = actors.get(request);
    if (!actor) throw new Error('unreachable: admin route without its onRequest check');
    return actor;
  };
  const common = {
    tags: ['admin'],
    security: BEARER_SECURITY,
    response: { 200: LogoutResponseSchema, 400: ErrorResponseSchema, 403: ErrorResponseSchema, ...BEARER_ERRORS },
  };

  app.delete<{ Params: { userId: string; sessionId: string } }>(
    '/auth/admin/users/:userId/sessions/:sessionId',
    { onRequest, schema: { ...common, params: SessionParams, summary: "Revoke one of a user's sessions (auditor)" } },
    async (request) => {
      const actor = actorOf(request);
      return { revoked: await adminRevokeSession(ctx.redis, request.params, actor, clientInfo(request)) };
    },
  );

  app.delete<{ Params: { userId: string } }>(
    '/auth/admin/users/:userId/sessions',
    {
      onRequest,
      schema: {
        ...common,
        params: UserParams,
        response: { ...common.response, 404: ErrorResponseSchema },
        summary: 'Revoke every session of a user (auditor)',
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const { userId } = request.params;
      const revoked = await adminRevokeAllSessions(ctx.redis, ctx.pool, userId, actor, clientInfo(request));
      if (revoked === null) throw new GatehouseError('not_found', `No user ${userId}.`);
      return { revoked };
    },
  );

  app.get<{ Params: { userId: string } }>(
    '/auth/admin/users/:userId/mfa',
    {
      onRequest,
      schema: {
        ...common,
        params: UserParams,
        response: { ...common.response, 200: MfaStatusSchema },
        summary: "A user's second factors (auditor)",
      },
    },
    async (request) => await mfaStatus(ctx.login.mfa, request.params.userId),
  );
}
