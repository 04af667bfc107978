import { ErrorResponseSchema, LoginBodySchema, LoginResultSchema } from '@gatehouse/contracts';
import type { BaseApp } from '@gatehouse/runtime';
import type { AuthContext } from '../../context.js';
import { login } from '../../domain/login.js';
import { clientInfo } from '../client-info.js';

/** `POST /auth/login`. */
export default async function loginRoutes(app: BaseApp, options: { ctx: AuthContext }) {
  app.post(
    '/auth/login',
    {
      schema: {
        summary: 'Log in with a username and password (step 1 when the user has a second factor)',
        tags: ['auth'],
        body: LoginBodySchema,
        response: {
          200: LoginResultSchema,
          400: ErrorResponseSchema,
          401: ErrorResponseSchema,
          413: ErrorResponseSchema,
          429: ErrorResponseSchema,
          503: ErrorResponseSchema,
        },
      },
    },
    async (request) => await login(options.ctx.login, request.body, clientInfo(request)),
  );
}
