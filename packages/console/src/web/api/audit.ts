import type {
  AlertsResponse,
  DeliveriesResponse,
  DeliveryState,
  EventsPage,
  ExportAccepted,
  ExportFormat,
  ExportJob,
  RevokeResponse,
  StatsResponse,
  UserSummary,
  VerifyResult,
} from '../lib/api-types.js';
import { buildQuery, type EventFilters, eventsQuery, exportBody, streamQuery } from '../lib/filters.js';
import type { StatsRange } from '../lib/time-range.js';
import { apiFetch, apiJson } from './client.js';

const enc = encodeURIComponent;

/** `GET /auth/session`: who holds the token (the body is read by `readIdentity`). */
export function getSession(): Promise<unknown> {
  return apiJson<unknown>('/auth/session');
}

/** `GET /audit/events`: one newest-first page. */
export function listEvents(filters: EventFilters, cursor: string | null): Promise<EventsPage> {
  return apiJson<EventsPage>(`/audit/events${eventsQuery(filters, cursor)}`);
}

/** `GET /audit/stats`: login outcomes per bucket. */
export function getStats(range: StatsRange): Promise<StatsResponse> {
  return apiJson<StatsResponse>(
    `/audit/stats${buildQuery([
      ['from', range.from],
      ['to', range.to],
      ['bucket', range.bucket],
    ])}`,
  );
}

/** `GET /audit/users/:userId/summary`. */
export function getUserSummary(userId: string): Promise<UserSummary> {
  return apiJson<UserSummary>(`/audit/users/${enc(userId)}/summary`);
}

/** `DELETE /auth/admin/users/:userId/sessions/:sessionId` (auth, auditor role): revoke one session. */
export function revokeSession(userId: string, sessionId: string): Promise<RevokeResponse> {
  return apiJson<RevokeResponse>(`/auth/admin/users/${enc(userId)}/sessions/${enc(sessionId)}`, {
    method: 'DELETE',
  });
}

/** `DELETE /auth/admin/users/:userId/sessions` (auth, auditor role): revoke every session of the user. */
export function revokeAllSessions(userId: string): Promise<RevokeResponse> {
  return apiJson<RevokeResponse>(`/auth/admin/users/${enc(userId)}/sessions`, { method: 'DELETE' });
}

/** `GET /audit/stream` as a streaming response (read it with `readSse`). */
export function openStream(filters: EventFilters, signal: AbortSignal, lastEventId?: string): Promise<Response> {
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (lastEventId) headers['last-event-id'] = lastEventId;
  return apiFetch(`/audit/stream${streamQuery(filters)}`, { headers, signal });
}

/** `GET /audit/alerts`. */
export function listAlerts(): Promise<AlertsResponse> {
  return apiJson<AlertsResponse>(`/audit/alerts${buildQuery([['limit', 100]])}`);
}

/** `GET /audit/alerts/deliveries` of one state (the server's default is `failed`). */
export function listDeliveries(state: DeliveryState | ''): Promise<DeliveriesResponse> {
  return apiJson<DeliveriesResponse>(`/audit/alerts/deliveries${buildQuery([['state', state]])}`);
}

/** `POST /audit/alerts/deliveries/:id/retry`: queue a failed delivery again. */
export async function retryDelivery(id: string): Promise<void> {
  await apiFetch(`/audit/alerts/deliveries/${enc(id)}/retry`, { method: 'POST' });
}

/** `POST /audit/exports`: start an export of what the filters select. */
export function startExport(filters: EventFilters, format: ExportFormat): Promise<ExportAccepted> {
  return apiJson<ExportAccepted>('/audit/exports', {
    method: 'POST',
    body: JSON.stringify(exportBody(filters, format)),
  });
}

/** `GET /audit/exports/:id`: state and progress. */
export function getExport(id: string): Promise<ExportJob> {
  return apiJson<ExportJob>(`/audit/exports/${enc(id)}`);
}

/** `GET /audit/exports/:id/download`: the file, fetched with the token. */
export function downloadExport(id: string): Promise<Response> {
  return apiFetch(`/audit/exports/${enc(id)}/download`, { headers: { accept: '*/*' } });
}

/** `GET /audit/verify`. */
export function verifyTrail(): Promise<VerifyResult> {
  return apiJson<VerifyResult>('/audit/verify');
}
