import { LogoutResponseSchema } from '@gatehouse/contracts';
import type { BaseApp } from '@gatehouse/runtime';
import type { AuthContext } from '../../context.js';
import { authenticate } from '../../domain/authenticate.js';
import { revokeAllSessions, revokeSession } from '../../domain/sessions.js';
import { clientInfo } from '../client-info.js';
import { BEARER_ERRORS, BEARER_SECURITY } from '../schemas.js';

/** `POST /auth/logout` (idempotent) and `POST /auth/logout-all`. */
export default async function logoutRoutes(app: BaseApp, options: { ctx: AuthContext }) {
  const { ctx } = options;
  const schema = {
    tags: ['auth'],
    security: BEARER_SECURITY,
    response: { 200: LogoutResponseSchema, ...BEARER_ERRORS },
  };

  app.post('/auth/logout', { schema: { ...schema, summary: 'End the current session' } }, async (request) => {
    const { claims, session } = await authenticate(ctx.authenticate, request.headers.authorization, {
      requireSession: false,
    });
    if (!session) {
      // A retry of a logout answered 503: its delete may not have reached a replica yet.
      await ctx.redis.confirm();
      return { revoked: 0 };
    }
    const owner = { sessionId: claims.sid, userId: session.userId, username: session.username };
    return { revoked: await revokeSession(ctx.redis, owner, { client: clientInfo(request) }) };
  });

  app.post('/auth/logout-all', { schema: { ...schema, summary: 'End every session of the user' } }, async (request) => {
    const { claims, session } = await authenticate(ctx.authenticate, request.headers.authorization, {
      requireSession: true,
    });
    const user = { id: claims.sub, username: session?.username ?? null };
    const options = { reason: 'logout_all', sessionId: claims.sid, client: clientInfo(request) };
    return { revoked: await revokeAllSessions(ctx.redis, user, options) };
  });
}
