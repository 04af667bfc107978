import type {
  AuditAlertListResponse,
  AuditAlertView,
  AuditDeliveriesQuery,
  AuditDeliveryListResponse,
  AuditDeliveryView,
  AuditEventListResponse,
  AuditEventView,
  AuditExportAccepted,
  AuditExportView,
  AuditStatsBucket,
  AuditStatsResponse,
  AuditUserSummary,
  AuditVerifyReport,
  AuthEventType,
  LogoutResponse,
} from '@gatehouse/contracts';

// Every shape comes from contracts, imported as types only (a value import would bundle TypeBox).

/** One stored event as the audit query API returns it. */
export type AuditEvent = AuditEventView;

/** `GET /audit/events` reply. */
export type EventsPage = AuditEventListResponse;

/** `GET /audit/users/:userId/summary` reply. */
export type UserSummary = AuditUserSummary;

/** `GET /audit/verify` reply. */
export type VerifyResult = AuditVerifyReport;

/** One bucket of `GET /audit/stats`; `start` is ISO-8601, the bucket spans `bucket` seconds. */
export type StatsBucket = AuditStatsBucket;

/** `GET /audit/stats?from&to&bucket` reply (empty buckets omitted). */
export type StatsResponse = AuditStatsResponse;

/** Reply of the session revocation endpoints of auth (`/auth/admin/users/...`). */
export type RevokeResponse = LogoutResponse;

/** One fired detection rule. */
export type AuditAlert = AuditAlertView;

/** `GET /audit/alerts` reply. */
export type AlertsResponse = AuditAlertListResponse;

/** A state `GET /audit/alerts/deliveries?state=` filters on (BullMQ job states). */
export type DeliveryState = AuditDeliveriesQuery['state'] & string;

/** One webhook delivery. */
export type AlertDelivery = AuditDeliveryView;

/** `GET /audit/alerts/deliveries` reply. */
export type DeliveriesResponse = AuditDeliveryListResponse;

/** Export file formats. */
export type ExportFormat = AuditExportView['format'];

/** `POST /audit/exports` reply (202). */
export type ExportAccepted = AuditExportAccepted;

/** `GET /audit/exports/:id` reply. */
export type ExportJob = AuditExportView;

/** A label for every event type; a `Record` so a new type in contracts is a compile error here. */
export const EVENT_TYPE_LABELS: Record<AuthEventType, string> = {
  'auth.login.succeeded': 'Login succeeded',
  'auth.login.failed': 'Login failed',
  'auth.login.rate_limited': 'Login rate-limited',
  'auth.logout': 'Logout',
  'auth.sessions.revoked': 'Sessions revoked',
  'auth.mfa.enrolled': 'Second factor enrolled',
  'auth.mfa.removed': 'Second factor removed',
  'auth.mfa.succeeded': 'Second factor accepted',
  'auth.mfa.failed': 'Second factor refused',
  'auth.mfa.recovery_used': 'Recovery code used',
  'auth.mfa.challenge_expired': 'Login challenge expired',
};
