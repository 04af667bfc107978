import { GatehouseError, mfaChallengeKey, passkeyChallengeKey } from '@gatehouse/contracts';
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { unavailableOnError } from '../../redis/context.js';
import { findPasskeys, insertPasskey, recordPasskeyUse } from '../../repositories/mfa.repository.js';
import type { ClientInfo } from '../client.js';
import type { StoredSession } from '../sessions.js';
import type { MfaDeps } from './deps.js';
import { factorEnrolled } from './manage.js';
import type { ProofResult } from './proof.js';

const CEREMONY_SECONDS = 300;

/** The ceremony a WebAuthn challenge belongs to: a registration or step-up in a session, or a login's step 2. */
export const passkeyScope = {
  register: (sessionId: string) => `reg:${sessionId}`,
  stepUp: (sessionId: string) => `step:${sessionId}`,
  login: (challengeId: string) => `login:${challengeId}`,
};

/** RFC 8176: a passkey synced between devices is a software key, a device-bound one a hardware key. */
function amrOf(deviceType: string): 'hwk' | 'swk' {
  return deviceType === 'multiDevice' ? 'swk' : 'hwk';
}

async function rememberChallenge(deps: MfaDeps, scope: string, challenge: string): Promise<void> {
  await deps.redis.run('ghSetEx', [passkeyChallengeKey(scope)], [CEREMONY_SECONDS, challenge]);
}

async function takeChallenge(deps: MfaDeps, scope: string): Promise<string> {
  return String(await deps.redis.run('ghTake', [passkeyChallengeKey(scope)], []));
}

/** Registration options for the signed-in user (user verification required, known credentials excluded). */
export async function passkeyRegistrationOptions(
  deps: MfaDeps,
  session: StoredSession,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await unavailableOnError(() => findPasskeys(deps.pool, session.userId));
  const options = await generateRegistrationOptions({
    rpName: deps.webauthn.rpName,
    rpID: deps.webauthn.rpId,
    userName: session.username,
    userID: new TextEncoder().encode(session.userId),
    attestationType: 'none',
    excludeCredentials: existing.map((p) => ({ id: p.id, transports: p.transports })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
  });
  await rememberChallenge(deps, passkeyScope.register(session.sessionId), options.challenge);
  return options;
}

/**
 * Verifies the browser's registration against the session's pending
 * challenge (single use), stores the credential and counts it as a factor
 * enrolled; answers recovery codes for a first factor.
 */
export async function registerPasskey(
  deps: MfaDeps,
  session: StoredSession,
  body: { name: string; credential: Record<string, unknown> },
  client: ClientInfo,
): Promise<string[]> {
  const expectedChallenge = await takeChallenge(deps, passkeyScope.register(session.sessionId));
  if (expectedChallenge === '')
    throw new GatehouseError('conflict', 'No passkey registration is pending; start again.');
  const verification = await verifyRegistrationResponse({
    response: body.credential as unknown as RegistrationResponseJSON,
    expectedChallenge,
    expectedOrigin: deps.webauthn.origins,
    expectedRPID: deps.webauthn.rpId,
    requireUserVerification: true,
  }).catch(() => ({ verified: false as const }));
  if (!verification.verified) throw new GatehouseError('invalid_credentials', 'The passkey could not be verified.');
  const info = verification.registrationInfo;
  const stored = await unavailableOnError(() =>
    insertPasskey(deps.pool, session.userId, {
      id: info.credential.id,
      publicKey: info.credential.publicKey,
      counter: info.credential.counter,
      transports: info.credential.transports ?? [],
      name: body.name,
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
    }),
  );
  if (!stored) throw new GatehouseError('conflict', 'This passkey is registered already.');
  return await factorEnrolled(deps, session, { factor: 'passkey', amr: amrOf(info.credentialDeviceType) }, client);
}

/** Authentication options for a user's passkeys, remembered under `scope` (a login's step 2 or a step-up). */
export async function passkeyAuthenticationOptions(
  deps: MfaDeps,
  userId: string,
  scope: string,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const passkeys = await unavailableOnError(() => findPasskeys(deps.pool, userId));
  if (passkeys.length === 0) throw new GatehouseError('conflict', 'No passkey is registered.');
  const options = await generateAuthenticationOptions({
    rpID: deps.webauthn.rpId,
    allowCredentials: passkeys.map((p) => ({ id: p.id, transports: p.transports })),
    userVerification: 'required',
  });
  await rememberChallenge(deps, scope, options.challenge);
  return options;
}

/** Authentication options for the second step of a login, for the user the login challenge names. */
export async function loginPasskeyOptions(
  deps: MfaDeps,
  challengeId: string,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const userId = await unavailableOnError(() => deps.redis.redis.hget(mfaChallengeKey(challengeId), 'sub'));
  if (!userId)
    throw new GatehouseError('invalid_token', 'The login challenge has expired or was already used; log in again.');
  return await passkeyAuthenticationOptions(deps, userId, passkeyScope.login(challengeId));
}

/**
 * Checks a passkey assertion: the pending challenge of `scope` (single use),
 * origin, RP id, signature, the user-verification flag, and a signature
 * counter that moved forward (a cloned authenticator repeats or goes back).
 */
export async function checkPasskey(
  deps: MfaDeps,
  userId: string,
  scope: string,
  credential: Record<string, unknown>,
): Promise<ProofResult> {
  const refused: ProofResult = { ok: false, factor: 'passkey', reason: 'invalid_code' };
  const expectedChallenge = await takeChallenge(deps, scope);
  const id = typeof credential.id === 'string' ? credential.id : '';
  if (expectedChallenge === '' || id === '') return refused;
  const [stored] = await unavailableOnError(() => findPasskeys(deps.pool, userId, id));
  if (!stored) return refused;
  const verification = await verifyAuthenticationResponse({
    response: credential as unknown as AuthenticationResponseJSON,
    expectedChallenge,
    expectedOrigin: deps.webauthn.origins,
    expectedRPID: deps.webauthn.rpId,
    credential: {
      id: stored.id,
      publicKey: stored.publicKey,
      counter: stored.counter,
      transports: stored.transports as never,
    },
    requireUserVerification: true,
  }).catch(() => null);
  if (!verification?.verified) return refused;
  const info = verification.authenticationInfo;
  if (!(await unavailableOnError(() => recordPasskeyUse(deps.pool, userId, stored.id, info.newCounter))))
    return refused;
  return { ok: true, factor: 'passkey', amr: amrOf(info.credentialDeviceType) };
}
