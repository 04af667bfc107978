export type { GatehouseIdentityOptions } from './fastify.js';
export { gatehouseIdentity } from './fastify.js';
export type { IdentityVerifier, IdentityVerifierOptions, RequestLike, UpstreamIdentity } from './identity.js';
export { createIdentityVerifier, invalidAssertion } from './identity.js';
export type { AssertionKey, AssertionSubject } from './sign.js';
export { assertionKey, signAssertion } from './sign.js';
export type { VerifyJwtOptions } from './verify-jwt.js';
export { verifyJwt } from './verify-jwt.js';
