export type { AppDeps, AuditApp } from './app.js';
export { buildApp } from './app.js';
export type { AuditConfig } from './config.js';
export { ConfigSchema, loadServiceConfig } from './config.js';
export { verifyTrail } from './domain/verify.js';
export { MIGRATIONS_DIR, migrateAudit } from './migrate.js';
export type { DigestOutcome } from './repositories/digests.repository.js';
export { writeDigest } from './repositories/digests.repository.js';
