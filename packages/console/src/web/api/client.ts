import type { LoginResponse, LoginResult, MfaProof, MfaRequiredResponse } from '@gatehouse/contracts';

// The access token lives only here, in memory: never in localStorage, sessionStorage or a
// script-readable cookie. Reloading the page signs the auditor out, by design.
let accessToken: string | null = null;
let sessionId: string | null = null;
let onUnauthorized: (() => void) | null = null;

/** An error reply from the gateway, with its stable `error` code. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** The session this console signed in with (so the user view can mark it). */
export function currentSessionId(): string | null {
  return sessionId;
}

/** Forgets the token. */
export function forgetToken(): void {
  accessToken = null;
  sessionId = null;
}

/** Called once when any request is answered 401 while signed in (token expired or revoked). */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

async function errorFrom(response: Response): Promise<ApiError> {
  let code = `http_${response.status}`;
  let message = response.statusText || `Request failed with status ${response.status}`;
  try {
    const body = (await response.json()) as { error?: unknown; message?: unknown };
    if (typeof body.error === 'string') code = body.error;
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // Not JSON (a proxy's HTML error page, say): keep the status text.
  }
  return new ApiError(response.status, code, message);
}

/** `fetch` on the same origin with the bearer token; throws {@link ApiError} for a non-2xx reply. */
export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (accessToken !== null) headers.set('authorization', `Bearer ${accessToken}`);
  if (!headers.has('accept')) headers.set('accept', 'application/json');
  if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  const response = await fetch(path, { ...init, headers, credentials: 'same-origin', cache: 'no-store' });
  if (response.ok) return response;
  const error = await errorFrom(response);
  // insufficient_user_authentication (RFC 9470): the session is fine, it lacks a second factor.
  if (response.status === 401 && accessToken !== null && error.code !== 'insufficient_user_authentication') {
    forgetToken();
    onUnauthorized?.();
  }
  throw error;
}

/** {@link apiFetch} and parse the JSON reply. */
export async function apiJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await apiFetch(path, init);
  return (await response.json()) as T;
}

/** Keeps a session's token in memory (a login, its second step, or a step-up of the same session). */
export function holdToken(reply: LoginResponse): void {
  accessToken = reply.accessToken;
  sessionId = reply.sessionId;
}

/**
 * `POST /auth/login`; keeps the token in memory on success, or answers the
 * `mfa_required` challenge for {@link completeSignIn}.
 */
export async function signIn(username: string, password: string): Promise<MfaRequiredResponse | null> {
  forgetToken();
  const reply = await apiJson<LoginResult>('/auth/login', {
    method: 'POST',
    body: JSON.stringify({ username, password }),
  });
  if ('status' in reply) return reply;
  holdToken(reply);
  return null;
}

/** `POST /auth/login/mfa`: the second step; keeps the token on success. */
export async function completeSignIn(challenge: string, proof: MfaProof): Promise<void> {
  holdToken(
    await apiJson<LoginResponse>('/auth/login/mfa', { method: 'POST', body: JSON.stringify({ challenge, ...proof }) }),
  );
}

/** `POST /auth/logout` (best effort) and forget the token whatever the outcome. */
export async function signOut(): Promise<void> {
  if (accessToken === null) return;
  try {
    await apiFetch('/auth/logout', { method: 'POST' });
  } catch {
    // The session may already be gone; the token is dropped below either way.
  } finally {
    forgetToken();
  }
}
