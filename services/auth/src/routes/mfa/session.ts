import type { FastifyRequest } from 'fastify';
import type { AuthContext } from '../../context.js';
import { authenticate } from '../../domain/authenticate.js';
import type { StoredSession } from '../../domain/sessions.js';

/** The caller's live session (401 `invalid_token` without one). */
export async function currentSession(ctx: AuthContext, request: FastifyRequest): Promise<StoredSession> {
  const { session } = await authenticate(ctx.authenticate, request.headers.authorization, { requireSession: true });
  if (!session) throw new Error('unreachable: authenticated without a session');
  return session;
}
