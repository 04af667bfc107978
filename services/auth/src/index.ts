export type { AuthApp } from './app.js';
export { buildApp } from './app.js';

export { ConfigSchema, loadServiceConfig } from './config.js';

export { loadKeyRing } from './domain/keys.js';

export { resetUserFactors, showUserFactors } from './domain/mfa/manage.js';

export { createSecretBox } from './domain/mfa/secret-box.js';
export { hashPassword, setArgon2Concurrency, verifyPassword } from './domain/passwords.js';
export type { StoredSession } from './domain/sessions.js';
export {
  ADMIN_REVOKED,
  listSessions,
  readSession,
  revokeAllSessions,
  revokeSession,
  toStored,
} from './domain/sessions.js';

export { createUser, disableUser, setPassword, UserError } from './domain/users.js';
export { migrateAuth } from './migrate.js';
export type { RedisContext } from './redis/context.js';
export { createRedisContext } from './redis/context.js';

export { findUserByUsername } from './repositories/users.repository.js';
