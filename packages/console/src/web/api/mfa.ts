import type { LoginResponse, MfaProof, MfaStatus, RecoveryCodesResponse, TotpEnrolment } from '@gatehouse/contracts';
import {
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  startAuthentication,
  startRegistration,
} from '@simplewebauthn/browser';
import { apiJson, holdToken } from './client.js';

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
  const optionsJSON = await post<PublicKeyCredentialCreationOptionsJSON>('/auth/mfa/passkeys/options');
  const credential = await startRegistration({ optionsJSON });
  return (await post<RecoveryCodesResponse>('/auth/mfa/passkeys', { name, credential })).recoveryCodes;
}

/** The passkey proof of a login's second step. */
export async function passkeyLoginProof(challenge: string): Promise<MfaProof> {
  const optionsJSON = await post<PublicKeyCredentialRequestOptionsJSON>('/auth/login/passkey-options', { challenge });
  const credential = await startAuthentication({ optionsJSON });
  return { method: 'passkey', credential: credential as unknown as Record<string, unknown> };
}

/** `POST /auth/mfa/step-up` with a code: the same session gains the factor; the new token is kept. */
export async function stepUp(proof: MfaProof): Promise<void> {
  holdToken(await post<LoginResponse>('/auth/mfa/step-up', proof));
}
