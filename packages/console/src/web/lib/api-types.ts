import type {
  AuditEventListResponse,
  AuditEventView,
  AuditUserSummary,
  AuditVerifyReport,
  AuthEventType,
} from '@gatehouse/contracts';

// Shapes that exist in contracts are imported as types only (a value import would
// bundle TypeBox); the rest are what the console asks of the audit service (docs/console.md).

/** One stored event as the audit query API returns it. */
export type AuditEvent = AuditEventView;

/** `GET /audit/events` reply. */
export type EventsPage = AuditEventListResponse;

/** `GET /audit/users/:userId/summary` reply. */
export type UserSummary = AuditUserSummary;

/** `GET /audit/verify` reply. */
export type VerifyResult = AuditVerifyReport;

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

/** A label for every event type; a `Record` so a new type in contracts is a compile error here. */
export const EVENT_TYPE_LABELS: Record<AuthEventType, string> = {
  'auth.login.succeeded': 'Login succeeded',
  'auth.login.failed': 'Login failed',
  'auth.login.rate_limited': 'Login rate-limited',
  'auth.logout': 'Logout',
  'auth.sessions.revoked': 'Sessions revoked',
};
