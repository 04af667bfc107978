export { ConfigSchema } from './config.js';
export { verifyTrail } from './domain/verify.js';

export { migrateAudit } from './migrate.js';

export { writeDigest } from './repositories/digests.repository.js';
