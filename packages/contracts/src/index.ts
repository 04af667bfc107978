export type { ErrorBody, ErrorCode } from './errors.js';
export { ERROR_STATUS, GatehouseError } from './errors.js';
export type { AuthEvent, AuthEventInput, MfaFactor, ParseResult } from './events/envelope.js';
export {
  AUTH_EVENT_FIELD_LIST,
  AUTH_EVENT_REASONS,
  AuthEventSchema,
  createAuthEvent,
  MFA_FACTORS,
  parseAuthEvent,
} from './events/envelope.js';
export type { AuthEventColumnType, AuthEventField, AuthEventFieldName, AuthEventType } from './events/fields.js';
export { AUTH_EVENT_FIELDS, AUTH_EVENT_TYPES } from './events/fields.js';
export { isInstant } from './events/formats.js';
export type {
  AuditEventFilters,
  AuditEventListResponse,
  AuditEventsQuery,
  AuditEventView,
  AuditReadListResponse,
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
  AuditReadViewSchema,
  AuditUserSummarySchema,
  AuditVerifyFailureSchema,
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
  AuditExportRequest,
  AuditExportView,
  AuditWebhookPayload,
} from './http/audit-jobs.js';
export {
  AUDIT_ALERT_RULES,
  AUDIT_DELIVERY_STATES,
  AUDIT_EXPORT_FORMATS,
  AUDIT_WEBHOOK_SIGNATURE_HEADER,
  AUDIT_WEBHOOK_TIMESTAMP_HEADER,
  AuditAlertListResponseSchema,
  AuditAlertsQuerySchema,
  AuditAlertViewSchema,
  AuditDeliveriesQuerySchema,
  AuditDeliveryListResponseSchema,
  AuditDeliveryViewSchema,
  AuditExportAcceptedSchema,
  AuditExportRequestSchema,
  AuditExportViewSchema,
  AuditWebhookPayloadSchema,
} from './http/audit-jobs.js';
export type { AuditStatsBucket, AuditStatsQuery, AuditStatsResponse } from './http/audit-stats.js';
export {
  AUDIT_STATS_BUCKETS,
  AUDIT_STATS_MAX_BUCKETS,
  AuditStatsBucketSchema,
  AuditStatsQuerySchema,
  AuditStatsResponseSchema,
} from './http/audit-stats.js';
export type {
  LoginBody,
  LoginResponse,
  LoginResult,
  LogoutResponse,
  SessionListResponse,
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
export type { ErrorResponse, HealthResponse } from './http/common.js';
export { ErrorResponseSchema, HealthResponseSchema } from './http/common.js';
export type {
  MfaLoginBody,
  MfaMethod,
  MfaProof,
  MfaRequiredResponse,
  MfaStatus,
  PasskeyView,
  RecoveryCodesResponse,
  TotpConfirmBody,
  TotpEnrolment,
} from './http/mfa.js';
export {
  MfaLoginBodySchema,
  MfaMethodSchema,
  MfaProofSchema,
  MfaRequiredResponseSchema,
  MfaStatusSchema,
  PasskeyViewSchema,
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
  SECOND_FACTOR_AMR,
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
  PLAIN_TEXT_PATTERN,
  UsernameInputSchema,
} from './username.js';
