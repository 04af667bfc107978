import { SessionListResponseSchema, SessionViewSchema } from '@gatehouse/contracts';
import type { BaseApp } from '@gatehouse/runtime';
import type { AuthContext } from '../../context.js';
import { authenticate } from '../../domain/authenticate.js';
import { isIdleExpired } from '../../domain/idle.js';
import { listSessions, toSessionView } from '../../domain/sessions.js';
import { BEARER_ERRORS, BEARER_SECURITY } from '../schemas.js';

/** `GET /auth/session` and `GET /auth/sessions`, answered from Redis alone. */
export default async function sessionRoutes(app: BaseApp, options: { ctx: AuthContext }) {
  const { ctx } = options;
  const common = { tags: ['auth'], security: BEARER_SECURITY };

  app.get(
    '/auth/session',
    { schema: { ...common, summary: 'The current session', response: { 200: SessionViewSchema, ...BEARER_ERRORS } } },
    async (request) => {
      const { claims, session } = await authenticate(ctx.authenticate, request.headers.authorization, {
        requireSession: true,
      });
      // requireSession guarantees a session; the check keeps the type honest.
      if (!session) throw new Error('unreachable: authenticated without a session');
      return toSessionView(session, claims.sid);
    },
  );

  app.get(
    '/auth/sessions',
    {
      schema: {
        ...common,
        summary: 'Every live session of the user',
        response: { 200: SessionListResponseSchema, ...BEARER_ERRORS },
      },
    },
    async (request) => {
      const { claims } = await authenticate(ctx.authenticate, request.headers.authorization, { requireSession: true });
      const now = Math.floor(ctx.now() / 1000);
      const sessions = (await listSessions(ctx.redis, claims.sub)).filter(
        (s) => !isIdleExpired(s, ctx.config.SESSION_IDLE_TIMEOUT_SECONDS, now),
      );
      return { sessions: sessions.map((s) => toSessionView(s, claims.sid)) };
    },
  );
}
