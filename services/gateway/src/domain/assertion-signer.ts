import { ASSERTION_TTL_SECONDS } from '@gatehouse/contracts';
import type { Ed25519KeyPair } from '@gatehouse/runtime';
import { assertionKey, signAssertion } from '@gatehouse/upstream';
import type { JWK } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Identity } from './authenticate.js';

/** Signs the identity assertions the gateway forwards, and publishes their keys. */
export interface AssertionSigner {
  /**
   * The assertion of `identity` for `audience`: a string from the cache when a
   * fresh one exists (no signature, no promise), else a promise of a new one.
   */
  get(identity: Identity, audience: string): string | Promise<string>;
  /** The public JWKS upstreams verify with. */
  readonly jwks: { keys: JWK[] };
}

/** Options of {@link createAssertionSigner}. */
export interface AssertionSignerOptions {
  keys: Ed25519KeyPair;
  /** Assertions kept (one per session and route); the least recently used goes first; 0 keeps none. */
  cacheSize: number;
  now?: () => number;
}

interface Cached {
  token: string;
  refreshAt: number;
  /** The identity it was signed for. */
  userId: string;
  username: string;
  roles: string[];
  rolesKey: string;
  amrKey: string;
}

/** Whether `hit` was signed for this identity (the roles array is usually the cached session's own). */
function sameIdentity(hit: Cached, identity: Identity): boolean {
  return (
    hit.userId === identity.userId &&
    hit.username === identity.username &&
    (hit.roles === identity.roles || hit.rolesKey === identity.roles.join(',')) &&
    hit.amrKey === identity.amr.join(',')
  );
}

/**
 * Makes the signer: one EdDSA assertion per (session, audience), valid for
 * {@link ASSERTION_TTL_SECONDS}, reused from a bounded cache until half its
 * life is over (so an upstream always gets at least 30 s of validity) or the
 * session's user, name, roles or authentication methods (a step-up) change. Concurrent misses share one signature.
 *
 * @example
 * ```ts
 * const signer = await createAssertionSigner({ keys, cacheSize: 100_000 });
 * const assertion = await signer.get(identity, '/api/orders');
 * ```
 */
export async function createAssertionSigner(options: AssertionSignerOptions): Promise<AssertionSigner> {
  const now = options.now ?? Date.now;
  const key = await assertionKey(options.keys);
  const cache = options.cacheSize > 0 ? new LRUCache<string, Cached>({ max: options.cacheSize }) : undefined;
  const pending = new Map<string, Promise<string>>();

  const sign = async (slot: string, identity: Identity, audience: string): Promise<string> => {
    const iat = Math.floor(now() / 1000);
    const token = await signAssertion(
      key,
      {
        aud: audience,
        sub: identity.userId,
        username: identity.username,
        sid: identity.sessionId,
        roles: identity.roles,
        amr: identity.amr,
      },
      iat,
    );
    cache?.set(slot, {
      token,
      refreshAt: (iat + ASSERTION_TTL_SECONDS / 2) * 1000,
      userId: identity.userId,
      username: identity.username,
      roles: identity.roles,
      rolesKey: identity.roles.join(','),
      amrKey: identity.amr.join(','),
    });
    return token;
  };

  return {
    jwks: { keys: [key.jwk] },
    get(identity, audience) {
      const slot = `${identity.sessionId}\n${audience}`;
      const hit = cache?.get(slot);
      if (hit !== undefined && hit.refreshAt > now() && sameIdentity(hit, identity)) return hit.token;
      const flight = `${slot}\n${identity.userId}\n${identity.username}\n${identity.roles.join(',')}\n${identity.amr.join(',')}`;
      const inFlight = pending.get(flight);
      if (inFlight !== undefined) return inFlight;
      const signed = sign(slot, identity, audience).finally(() => pending.delete(flight));
      pending.set(flight, signed);
      return signed;
    },
  };
}
