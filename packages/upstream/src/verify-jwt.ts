import { GatehouseError, JWT_ALGORITHM, JWT_CLOCK_TOLERANCE_SECONDS } from '@gatehouse/contracts';
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { type JWTVerifyGetKey, jwtVerify } from 'jose';
import { isKeySourceFailure } from './adapters/jose.js';

/** What {@link verifyJwt} checks besides the signature. */
export interface VerifyJwtOptions<T extends TSchema> {
  typ: string;
  issuer: string;
  audience: string;
  requiredClaims: string[];
  /** The claims' contract; a token whose payload does not match is refused. */
  schema: T;
  /** The error a bad token becomes (a 401 of the caller's choosing). */
  invalid: (message: string, cause?: unknown) => GatehouseError;
  /** What the token is, in messages: "access token", "identity assertion". */
  name: string;
  /** Refuse a token issued longer ago than this (or in the future), whatever its `exp`. */
  maxAgeSeconds?: number;
  now?: number;
}

/**
 * Verifies a Gatehouse JWT: EdDSA only, the given `typ`, `iss` and `aud`, the
 * required claims present, at most 30 s of clock skew, keys only from `keys`
 * (never from the token's header), and the payload checked against `schema`.
 * Throws `options.invalid(...)` for a bad token and `dependency_unavailable`
 * when the keys cannot be fetched.
 *
 * @example
 * ```ts
 * const claims = await verifyJwt(token, keys, { typ, issuer, audience, requiredClaims: ['sub'], schema, invalid, name: 'token' });
 * ```
 */
export async function verifyJwt<T extends TSchema>(
  token: string,
  keys: JWTVerifyGetKey,
  options: VerifyJwtOptions<T>,
): Promise<Static<T>> {
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      algorithms: [JWT_ALGORITHM],
      typ: options.typ,
      issuer: options.issuer,
      audience: options.audience,
      clockTolerance: JWT_CLOCK_TOLERANCE_SECONDS,
      requiredClaims: options.requiredClaims,
      ...(options.maxAgeSeconds === undefined ? {} : { maxTokenAge: options.maxAgeSeconds }),
      ...(options.now === undefined ? {} : { currentDate: new Date(options.now) }),
    }));
  } catch (err) {
    if (isKeySourceFailure(err)) {
      throw new GatehouseError('dependency_unavailable', 'The signing keys cannot be fetched.', { cause: err });
    }
    throw options.invalid(`The ${options.name} is invalid or has expired.`, err);
  }
  if (!Value.Check(options.schema, payload)) throw options.invalid(`The ${options.name} claims are malformed.`);
  return payload;
}
