export type { AuthApp, AuthDeps } from './app.js';
export { buildApp } from './app.js';
export type { AuthConfig } from './config.js';
export { ConfigSchema, loadServiceConfig, publicKeyFiles } from './config.js';
export type { ClientInfo } from './domain/client.js';
export type { KeyRing } from './domain/keys.js';
export { loadKeyRing } from './domain/keys.js';
export type { MfaActor } from './domain/mfa/events.js';
export { resetUserFactors, showUserFactors } from './domain/mfa/manage.js';
export type { SecretBox } from './domain/mfa/secret-box.js';
export { createSecretBox, loadSecretBox } from './domain/mfa/secret-box.js';
export { ARGON2_OPTIONS, hashPassword, verifyPassword } from './domain/passwords.js';
export type { RevocationActor, StoredSession } from './domain/sessions.js';
export {
  ADMIN_REVOKED,
  listSessions,
  readSession,
  revokeAllSessions,
  revokeSession,
  toSessionView,
  toStored,
  userAgentDigest,
} from './domain/sessions.js';
export type { UserErrorCode } from './domain/users.js';
export { createUser, disableUser, ROLE_PATTERN, setPassword, UserError } from './domain/users.js';
export { MIGRATIONS_DIR, migrateAuth } from './migrate.js';
export type { RedisContext } from './redis/context.js';
export { createRedisContext } from './redis/context.js';
export type { UserRecord } from './repositories/users.repository.js';
export { findUserByUsername } from './repositories/users.repository.js';
