import type { LoginResponse, MfaProof, MfaStatus, RecoveryCodesResponse, TotpEnrolment } from '@gatehouse/contracts';
import { apiJson, holdToken } from './client.js';

// The browser's own WebAuthn JSON helpers (Chromium 129+, Firefox 119+, Safari 18.4+): no library,
// so the bundle holds no third-party URL and the console's CSP test stays strict.
async function create(options: PublicKeyCredentialCreationOptionsJSON): Promise<Record<string, unknown>> {
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options);
  const credential = (await navigator.credentials.create({ publicKey })) as PublicKeyCredential | null;
  if (!credential) throw new Error('The browser made no passkey.');
  return credential.toJSON() as unknown as Record<string, unknown>;
}

async function get(options: PublicKeyCredentialRequestOptionsJSON): Promise<Record<string, unknown>> {
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options);
  const credential = (await navigator.credentials.get({ publicKey })) as PublicKeyCredential | null;
  if (!credential) throw new Error('The browser gave no passkey answer.');
  return credential.toJSON() as unknown as Record<string, unknown>;
}

const post = <T>(path: string, body: unknown = {}) => apiJson<T>(path, { method: 'POST', body: JSON.stringify(body) });

/** `GET /auth/mfa`: the signed-in user's factors. */
export function getMyFactors(): Promise<MfaStatus> {
  return apiJson<MfaStatus>('/auth/mfa');
}

/** `GET /auth/admin/users/:userId/mfa` (auditor): another user's factors. */
export function getUserFactors(userId: string): Promise<MfaStatus> {
  return apiJson<MfaStatus>(`/auth/admin/users/${encodeURIComponent(userId)}/mfa`);
}

/** `POST /auth/mfa/totp`: a new secret, its URI and QR code. */
export function startTotp(): Promise<TotpEnrolment> {
  return post<TotpEnrolment>('/auth/mfa/totp');
}

/** `POST /auth/mfa/totp/confirm`: the recovery codes of a first factor (else none). */
export async function confirmTotp(code: string): Promise<string[]> {
  return (await post<RecoveryCodesResponse>('/auth/mfa/totp/confirm', { code })).recoveryCodes;
}

/** Registers a passkey: options from auth, the browser's ceremony, then the answer back. */
export async function addPasskey(name: string): Promise<string[]> {
  const credential = await create(await post<PublicKeyCredentialCreationOptionsJSON>('/auth/mfa/passkeys/options'));
  return (await post<RecoveryCodesResponse>('/auth/mfa/passkeys', { name, credential })).recoveryCodes;
}

/** The passkey proof of a login's second step. */
export async function passkeyLoginProof(challenge: string): Promise<MfaProof> {
  const options = await post<PublicKeyCredentialRequestOptionsJSON>('/auth/login/passkey-options', { challenge });
  return { method: 'passkey', credential: await get(options) };
}

/** `POST /auth/mfa/step-up` with a code: the same session gains the factor; the new token is kept. */
export async function stepUp(proof: MfaProof): Promise<void> {
  holdToken(await post<LoginResponse>('/auth/mfa/step-up', proof));
}
