import { errors } from 'jose';

/**
 * Whether a `jwtVerify` failure means the keys could not be had (a 503), not
 * that the token is bad (a 401). jose has a class for a JWKS timeout and for
 * an invalid JWKS, but throws its base `JOSEError` itself, not a subclass,
 * when the JWKS endpoint answers other than 200 or with something that is not
 * JSON; every token fault has a subclass. That exact-constructor check leans
 * on jose's internals: it lives here only, and
 * test/adapters/jose.test.ts makes jose fail each way, so an upgrade that
 * changes which class it throws fails that test, not production.
 */
export function isKeySourceFailure(err: unknown): boolean {
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return true;
  if (err instanceof errors.JOSEError) return err.constructor === errors.JOSEError;
  return true;
}
