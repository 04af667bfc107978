import {
  ErrorResponseSchema,
  LoginResponseSchema,
  MfaLoginBodySchema,
  MfaProofSchema,
  MfaStatusSchema,
  RecoveryCodesResponseSchema,
  TotpConfirmBodySchema,
  TotpEnrolmentSchema,
} from '@gatehouse/contracts';
import type { BaseApp } from '@gatehouse/runtime';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { AuthContext } from '../../context.js';
import { confirmTotp, mfaStatus, regenerateRecoveryCodes, removeTotp } from '../../domain/mfa/manage.js';
import { completeLogin } from '../../domain/mfa/second-step.js';
import { stepUp } from '../../domain/mfa/step-up.js';
import { startTotpEnrolment } from '../../domain/mfa/totp.js';
import { clientInfo } from '../client-info.js';
import { BEARER_ERRORS, BEARER_SECURITY } from '../schemas.js';
import passkeyRoutes from './passkeys.js';
import { currentSession } from './session.js';

/**
 * The second factor: `POST /auth/login/mfa` (login step 2), and for the
 * signed-in user `GET /auth/mfa`, TOTP enrolment, confirmation and removal,
 * recovery codes and step-up.
 */
export default async function mfaRoutes(app: BaseApp, options: { ctx: AuthContext }) {
  const { ctx } = options;
  const mfa = ctx.login.mfa;
  const common = { tags: ['mfa'], security: BEARER_SECURITY };
  const errors = { 400: ErrorResponseSchema, 409: ErrorResponseSchema, 429: ErrorResponseSchema, ...BEARER_ERRORS };
  const session = (request: FastifyRequest) => currentSession(ctx, request);

  app.register(passkeyRoutes, { ctx });

  app.post(
    '/auth/login/mfa',
    {
      schema: {
        summary: 'Log in, step 2: the challenge of step 1 and a second factor',
        tags: ['auth'],
        body: MfaLoginBodySchema,
        response: {
          200: LoginResponseSchema,
          400: ErrorResponseSchema,
          401: ErrorResponseSchema,
          429: ErrorResponseSchema,
          503: ErrorResponseSchema,
        },
      },
    },
    async (request) => await completeLogin(ctx.login, request.body, clientInfo(request)),
  );

  app.get(
    '/auth/mfa',
    {
      schema: { ...common, summary: "The user's second factors", response: { 200: MfaStatusSchema, ...BEARER_ERRORS } },
    },
    async (request) => await mfaStatus(mfa, (await session(request)).userId),
  );

  app.post(
    '/auth/mfa/totp',
    {
      schema: {
        ...common,
        summary: 'Start TOTP enrolment: secret, otpauth:// URI and QR code',
        response: { 200: TotpEnrolmentSchema, ...errors },
      },
    },
    async (request) => {
      const s = await session(request);
      return await startTotpEnrolment(mfa, { id: s.userId, username: s.username });
    },
  );

  app.post(
    '/auth/mfa/totp/confirm',
    {
      schema: {
        ...common,
        summary: 'Confirm TOTP with its first code; answers recovery codes for a first factor',
        body: TotpConfirmBodySchema,
        response: { 200: RecoveryCodesResponseSchema, ...errors },
      },
    },
    async (request) => ({
      recoveryCodes: await confirmTotp(mfa, await session(request), request.body.code, clientInfo(request)),
    }),
  );

  app.delete(
    '/auth/mfa/totp',
    {
      schema: {
        ...common,
        summary: 'Remove TOTP (needs a second factor proved in the last MFA_FRESH_SECONDS)',
        response: { 200: Type.Object({ removed: Type.Literal(true) }), 404: ErrorResponseSchema, ...errors },
      },
    },
    async (request) => {
      await removeTotp(mfa, await session(request), clientInfo(request));
      return { removed: true as const };
    },
  );

  app.post(
    '/auth/mfa/recovery-codes',
    {
      schema: {
        ...common,
        summary: 'Replace the recovery codes (needs a recent second factor); shown once',
        response: { 200: RecoveryCodesResponseSchema, ...errors },
      },
    },
    async (request) => ({
      recoveryCodes: await regenerateRecoveryCodes(mfa, await session(request), clientInfo(request)),
    }),
  );

  app.post(
    '/auth/mfa/step-up',
    {
      schema: {
        ...common,
        summary: 'Add a second factor to the current session; answers a new token for it',
        body: MfaProofSchema,
        response: { 200: LoginResponseSchema, ...errors },
      },
    },
    async (request) => await stepUp(ctx.login, await session(request), request.body, clientInfo(request)),
  );
}
