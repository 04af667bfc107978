import type { AuthEvent, AuthEventType, SessionView } from '@gatehouse/contracts';

/** One stored event as the audit query API returns it: the envelope plus what the trail adds. */
export type AuditEvent = AuthEvent & { seq?: number | string; storedAt?: string };

/** `GET /audit/events` reply. */
export interface EventsPage {
  events: AuditEvent[];
  nextCursor: string | null;
}

/** One bucket of `GET /audit/stats`; `start` is ISO-8601, the bucket spans `bucket` seconds. */
export interface StatsBucket {
  start: string;
  succeeded: number;
  failed: number;
  rateLimited: number;
}

/** `GET /audit/stats?from&to&bucket` reply. */
export interface StatsResponse {
  from: string;
  to: string;
  bucket: number;
  buckets: StatsBucket[];
}

/** A user's live session as the audit service reads it from Redis. */
export type ActiveSession = Omit<SessionView, 'current' | 'roles' | 'userId' | 'username'> &
  Partial<Pick<SessionView, 'roles'>> & { userAgent?: string | null };

/** `GET /audit/users/:userId/summary` reply. */
export interface UserSummary {
  userId: string;
  username: string | null;
  lastLogin: { at: string; ip: string | null } | null;
  failures24h: number;
  lockouts24h: number;
  activeSessions: ActiveSession[];
}

/** Reply of the session revocation endpoints. */
export interface RevokeResponse {
  revoked: number;
}

/** One fired detection rule. */
export interface AuditAlert {
  id: string;
  rule: string;
  subject: string;
  windowStart: string;
  windowEnd: string;
  eventIds: string[];
  createdAt: string;
}

/** `GET /audit/alerts` reply. */
export interface AlertsResponse {
  alerts: AuditAlert[];
  nextCursor?: string | null;
}

/** The state of one webhook delivery of an alert. */
export type DeliveryState = 'pending' | 'delivered' | 'failed';

/** One webhook delivery. */
export interface AlertDelivery {
  id: string;
  alertId: string;
  url: string;
  state: DeliveryState;
  attempts: number;
  lastError: string | null;
  updatedAt: string;
}

/** `GET /audit/alerts/deliveries` reply. */
export interface DeliveriesResponse {
  deliveries: AlertDelivery[];
}

/** Export file formats. */
export type ExportFormat = 'ndjson' | 'csv';

/** `POST /audit/exports` and `GET /audit/exports/:id` reply. */
export interface ExportJob {
  id: string;
  state: 'waiting' | 'active' | 'completed' | 'failed';
  progress: number;
  rowCount: number | null;
  format: ExportFormat;
  error?: string | null;
}

/** `GET /audit/verify` reply. */
export interface VerifyResult {
  ok: boolean;
  checkedAt: string;
  checkedEvents?: number;
  failure?: { fromSeq?: number | string; toSeq?: number | string; eventId?: string | null; reason: string } | null;
}

/** A label for every event type; a `Record` so a new type in contracts is a compile error here. */
export const EVENT_TYPE_LABELS: Record<AuthEventType, string> = {
  'auth.login.succeeded': 'Login succeeded',
  'auth.login.failed': 'Login failed',
  'auth.login.rate_limited': 'Login rate-limited',
  'auth.logout': 'Logout',
  'auth.sessions.revoked': 'Sessions revoked',
};
