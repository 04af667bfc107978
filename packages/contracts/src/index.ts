export type { ErrorBody, ErrorCode } from './errors.js';
export { GatehouseError } from './errors.js';
export type { AuthEvent, AuthEventInput, MfaFactor } from './events/envelope.js';
export {
  AUTH_EVENT_FIELD_LIST,
  createAuthEvent,
  parseAuthEvent,
} from './events/envelope.js';
export type { AuthEventField, AuthEventType } from './events/fields.js';
export { AUTH_EVENT_TYPES } from './events/fields.js';
export { isInstant } from './events/formats.js';
export type {
  AuditEventFilters,
  AuditEventListResponse,
  AuditEventView,
  AuditReadView,
  AuditUserSummary,
  AuditVerifyFailure,
  AuditVerifyReport,
} from './http/audit.js';
export {
  AUDITOR_ROLE,
  AuditEventFiltersSchema,
  AuditEventListResponseSchema,
  AuditEventsQuerySchema,
  AuditEventViewSchema,
  AuditReadListResponseSchema,
  AuditUserSummarySchema,
  AuditVerifyReportSchema,
} from './http/audit.js';
export type {
  AuditAlertListResponse,
  AuditAlertRule,
  AuditAlertsQuery,
  AuditAlertView,
  AuditDeliveriesQuery,
  AuditDeliveryListResponse,
  AuditDeliveryView,
  AuditExportAccepted,
  AuditExportView,
  AuditWebhookPayload,
} from './http/audit-jobs.js';
export {
  AUDIT_WEBHOOK_SIGNATURE_HEADER,
  AUDIT_WEBHOOK_TIMESTAMP_HEADER,
  AuditAlertListResponseSchema,
  AuditAlertsQuerySchema,
  AuditDeliveriesQuerySchema,
  AuditDeliveryListResponseSchema,
  AuditDeliveryViewSchema,
  AuditExportAcceptedSchema,
  AuditExportRequestSchema,
  AuditExportViewSchema,
} from './http/audit-jobs.js';
export type { AuditStatsBucket, AuditStatsResponse } from './http/audit-stats.js';
export {
  AUDIT_STATS_BUCKETS,
  AUDIT_STATS_MAX_BUCKETS,
  AuditStatsQuerySchema,
  AuditStatsResponseSchema,
} from './http/audit-stats.js';
export type {
  LoginBody,
  LoginResponse,
  LoginResult,
  LogoutResponse,
  SessionView,
} from './http/auth.js';
export {
  LoginBodySchema,
  LoginResponseSchema,
  LoginResultSchema,
  LogoutResponseSchema,
  SessionListResponseSchema,
  SessionViewSchema,
} from './http/auth.js';
export { ErrorResponseSchema, HealthResponseSchema } from './http/common.js';
export type {
  MfaLoginBody,
  MfaMethod,
  MfaProof,
  MfaRequiredResponse,
  MfaStatus,
  RecoveryCodesResponse,
  TotpEnrolment,
} from './http/mfa.js';
export {
  MfaLoginBodySchema,
  MfaProofSchema,
  MfaStatusSchema,
  RecoveryCodesResponseSchema,
  TotpConfirmBodySchema,
  TotpEnrolmentSchema,
} from './http/mfa.js';
export type { AccessTokenClaims, AssertionClaims } from './jwt.js';
export {
  AccessTokenClaimsSchema,
  ASSERTION_AUDIT_AUDIENCE,
  ASSERTION_ISSUER,
  ASSERTION_JWKS_PATH,
  ASSERTION_TTL_SECONDS,
  ASSERTION_TYPE,
  AssertionClaimsSchema,
  IDENTITY_HEADERS,
  JWT_ALGORITHM,
  JWT_CLOCK_TOLERANCE_SECONDS,
  JWT_TYPE,
} from './jwt.js';
export {
  LOGIN_ATTEMPTS_IP_PREFIX,
  LOGIN_ATTEMPTS_USER_PREFIX,
  LOGIN_FAILURES_USER_PREFIX,
  loginAttemptsIpKey,
  loginAttemptsKey,
  loginFailuresKey,
  mfaChallengeKey,
  passkeyChallengeKey,
  REVOCATION_ACK_CHANNEL,
  REVOCATION_BARRIER_CHANNEL,
  SESSION_CACHE_LEASE_MS_DEFAULT,
  SESSION_KEY_PREFIX,
  sessionKey,
  totpLastStepKey,
  userSessionsKey,
} from './redis-keys.js';
export type { SessionHash } from './session.js';
export {
  hasSecondFactor,
  isIdle,
  parseAmr,
  parseRoles,
  parseSessionHash,
  SESSION_AMR_FIELD,
  SESSION_AUTH_TIME_FIELD,
  SESSION_FIELD_NAMES,
  SESSION_LAST_SEEN_FIELD,
  sessionHashFields,
  TOUCH_SESSION_LUA,
  touchIntervalSeconds,
} from './session.js';
export { AUDIT_GROUP, AUTH_EVENTS_DEAD_STREAM, AUTH_EVENTS_STREAM, EVENT_FIELD } from './streams.js';
export {
  canonicalUsername,
  isCanonicalUsername,
  UsernameInputSchema,
} from './username.js';
