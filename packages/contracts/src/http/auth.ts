import { type Static, Type } from '@sinclair/typebox';
import { UsernameInputSchema } from '../username.js';
import { MfaRequiredResponseSchema } from './mfa.js';

/** `POST /auth/login` body. */
export const LoginBodySchema = Type.Object(
  {
    username: UsernameInputSchema,
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);
/** A login request. */
export type LoginBody = Static<typeof LoginBodySchema>;

/** `POST /auth/login` success reply. */
export const LoginResponseSchema = Type.Object({
  accessToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'seconds until the token and the session end' }),
  sessionId: Type.String(),
});
/** A login reply. */
export type LoginResponse = Static<typeof LoginResponseSchema>;

/** `POST /auth/login` reply: a session, or (for a user with a second factor) `mfa_required` and a challenge. */
export const LoginResultSchema = Type.Union([LoginResponseSchema, MfaRequiredResponseSchema]);
/** What a password login answers. */
export type LoginResult = Static<typeof LoginResultSchema>;

/** One session as shown to its owner. */
export const SessionViewSchema = Type.Object({
  sessionId: Type.String(),
  userId: Type.String(),
  username: Type.String(),
  roles: Type.Array(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  ip: Type.String(),
  current: Type.Boolean(),
});
/** A session view. */
export type SessionView = Static<typeof SessionViewSchema>;

/** `GET /auth/sessions` reply. */
export const SessionListResponseSchema = Type.Object({ sessions: Type.Array(SessionViewSchema) });

/** `POST /auth/logout` and `POST /auth/logout-all` reply. */
export const LogoutResponseSchema = Type.Object({ revoked: Type.Integer({ minimum: 0 }) });
/** A logout reply. */
export type LogoutResponse = Static<typeof LogoutResponseSchema>;
