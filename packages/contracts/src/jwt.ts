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

/**
 * Headers the gateway sets on a forwarded request; any copy a client sent is
 * removed. `assertion` carries the gateway's signed identity assertion: who
 * the caller is, for one upstream (`aud`), for about a minute. Upstreams verify
 * it against the gateway's JWKS ({@link ASSERTION_JWKS_PATH}) rather than trust
 * the plain `x-user-*` headers.
 */
export const IDENTITY_HEADERS = {
  userId: 'x-user-id',
  username: 'x-username',
  sessionId: 'x-session-id',
  roles: 'x-user-roles',
  requestId: 'x-request-id',
  assertion: 'x-gatehouse-assertion',
} as const;

/** The `iss` of every identity assertion (`IDENTITY_HEADERS.assertion`). */
export const ASSERTION_ISSUER = 'gatehouse-gateway';

/** The `typ` header of an identity assertion. */
export const ASSERTION_TYPE = 'gatehouse-assertion+jwt';

/** The `aud` of the assertions the gateway sends to the audit service; other upstreams get their route prefix. */
export const ASSERTION_AUDIT_AUDIENCE = 'audit';

/** Lifetime of an identity assertion. */
export const ASSERTION_TTL_SECONDS = 60;

/** Where the gateway publishes the public keys of its assertions. */
export const ASSERTION_JWKS_PATH = '/.well-known/gateway-jwks.json';

/** The claims of an identity assertion. */
export const AssertionClaimsSchema = Type.Object({
  iss: Type.String(),
  aud: Type.String(),
  sub: Type.String({ description: 'user id' }),
  username: Type.String(),
  sid: Type.String({ description: 'session id' }),
  roles: Type.Array(Type.String()),
  amr: Type.Array(Type.String(), { description: 'how the session was authenticated (RFC 8176): pwd, otp, hwk, swk' }),
  iat: Type.Integer(),
  exp: Type.Integer(),
});
/** Verified identity assertion claims. */
export type AssertionClaims = Static<typeof AssertionClaimsSchema>;
