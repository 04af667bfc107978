import { ErrorResponseSchema, MfaLoginBodySchema, RecoveryCodesResponseSchema } from '@gatehouse/contracts';
import type { BaseApp } from '@gatehouse/runtime';
import { Type } from '@sinclair/typebox';
import type { AuthContext } from '../../context.js';
import { removePasskey, renameUserPasskey } from '../../domain/mfa/manage.js';
import {
  loginPasskeyOptions,
  passkeyAuthenticationOptions,
  passkeyRegistrationOptions,
  passkeyScope,
  registerPasskey,
} from '../../domain/mfa/passkeys.js';
import { clientInfo } from '../client-info.js';
import { BEARER_ERRORS, BEARER_SECURITY } from '../schemas.js';
import { currentSession } from './session.js';

const OptionsSchema = Type.Object({}, { additionalProperties: true, description: 'WebAuthn options (JSON)' });
const NameSchema = Type.String({ minLength: 1, maxLength: 64 });
const IdParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 1024, pattern: '^[A-Za-z0-9_-]+$' }) });

/** Passkeys: registration, rename, removal, and the WebAuthn options of a login's step 2 and of step-up. */
export default async function passkeyRoutes(app: BaseApp, options: { ctx: AuthContext }) {
  const { ctx } = options;
  const mfa = ctx.login.mfa;
  const common = { tags: ['mfa'], security: BEARER_SECURITY };
  const errors = { 400: ErrorResponseSchema, 404: ErrorResponseSchema, 409: ErrorResponseSchema, ...BEARER_ERRORS };

  app.post(
    '/auth/login/passkey-options',
    {
      schema: {
        summary: 'Log in, step 2 with a passkey: WebAuthn options for the challenge of step 1',
        tags: ['auth'],
        body: Type.Pick(MfaLoginBodySchema, ['challenge']),
        response: { 200: OptionsSchema, 400: ErrorResponseSchema, 401: ErrorResponseSchema, 409: ErrorResponseSchema },
      },
    },
    async (request) => await loginPasskeyOptions(mfa, request.body.challenge),
  );

  app.post(
    '/auth/mfa/step-up/passkey-options',
    {
      schema: {
        ...common,
        summary: 'WebAuthn options to step up with a passkey',
        response: { 200: OptionsSchema, ...errors },
      },
    },
    async (request) => {
      const s = await currentSession(ctx, request);
      return await passkeyAuthenticationOptions(mfa, s.userId, passkeyScope.stepUp(s.sessionId));
    },
  );

  app.post(
    '/auth/mfa/passkeys/options',
    {
      schema: {
        ...common,
        summary: 'WebAuthn options to register a passkey',
        response: { 200: OptionsSchema, ...errors },
      },
    },
    async (request) => await passkeyRegistrationOptions(mfa, await currentSession(ctx, request)),
  );

  app.post(
    '/auth/mfa/passkeys',
    {
      schema: {
        ...common,
        summary: 'Register a passkey (the browser answer to the options); answers recovery codes for a first factor',
        body: Type.Object(
          { name: NameSchema, credential: Type.Object({}, { additionalProperties: true }) },
          { additionalProperties: false },
        ),
        response: { 200: RecoveryCodesResponseSchema, ...errors },
      },
    },
    async (request) => ({
      recoveryCodes: await registerPasskey(mfa, await currentSession(ctx, request), request.body, clientInfo(request)),
    }),
  );

  app.patch(
    '/auth/mfa/passkeys/:id',
    {
      schema: {
        ...common,
        summary: 'Rename a passkey',
        params: IdParamsSchema,
        body: Type.Object({ name: NameSchema }, { additionalProperties: false }),
        response: { 200: Type.Object({ renamed: Type.Literal(true) }), ...errors },
      },
    },
    async (request) => {
      const s = await currentSession(ctx, request);
      await renameUserPasskey(mfa, s.userId, request.params.id, request.body.name);
      return { renamed: true as const };
    },
  );

  app.delete(
    '/auth/mfa/passkeys/:id',
    {
      schema: {
        ...common,
        summary: 'Remove a passkey (needs a second factor proved in the last MFA_FRESH_SECONDS)',
        params: IdParamsSchema,
        response: { 200: Type.Object({ removed: Type.Literal(true) }), ...errors },
      },
    },
    async (request) => {
      await removePasskey(mfa, await currentSession(ctx, request), request.params.id, clientInfo(request));
      return { removed: true as const };
    },
  );
}
