import { type Static, Type } from '@sinclair/typebox';

/** The only signature algorithm Gatehouse issues or accepts. */
export const JWT_ALGORITHM = 'EdDSA';

/** The `typ` header of an access token (RFC 9068). */
export const JWT_TYPE = 'at+jwt';

/** Largest clock difference tolerated when checking `exp`, `iat` and `nbf`. */
export const JWT_CLOCK_TOLERANCE_SECONDS = 30;

/** The claims of a Gatehouse access token. */
export const AccessTokenClaimsSchema = Type.Object({
  iss: Type.String(),
  aud: Type.String(),
  sub: Type.String({ description: 'user id' }),
  sid: Type.String({ description: 'session id' }),
  roles: Type.Array(Type.String()),
  iat: Type.Integer(),
  exp: Type.Integer(),
  jti: Type.String(),
  amr: Type.Optional(
    Type.Array(Type.String(), { description: 'authentication methods (RFC 8176): pwd, otp, hwk, swk' }),
  ),
  auth_time: Type.Optional(Type.Integer({ description: 'when the user last authenticated in this session' })),
});
/** Verified access token claims. */
export type AccessTokenClaims = Static<typeof AccessTokenClaimsSchema>;

/** Headers the gateway sets on a forwarded request; any copy a client sent is removed. */
export const IDENTITY_HEADERS = {
  userId: 'x-user-id',
  username: 'x-username',
  sessionId: 'x-session-id',
  roles: 'x-user-roles',
  requestId: 'x-request-id',
} as const;
