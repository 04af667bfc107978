// Applies the SQL migrations of the services named on the command line, then
// exits: `node deploy/docker/migrate.mjs auth`. It runs from /app in a service
// image (the Kubernetes migration Job). The services also migrate at start-up
// under the same advisory lock, so running both is safe; the Job makes a bad
// migration show up as one failed Job instead of crash-looping pods.
import { createLogger, createPool, migrate } from '@gatehouse/runtime';

const url = process.env.DATABASE_URL;
const services = process.argv.slice(2);
const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'info', format: 'json', service: 'migrate' });
if (!url || services.length === 0) {
  logger.fatal('usage: DATABASE_URL=... node deploy/docker/migrate.mjs <service>...');
  process.exit(2);
}
const pool = createPool({ url, logger, name: 'migrate', max: 1 });
try {
  for (const service of services) {
    const applied = await migrate(pool, { service, dir: `services/${service}/migrations` });
    logger.info({ migrateService: service, applied }, 'migrations applied');
  }
} catch (err) {
  logger.fatal({ err }, 'migration failed');
  process.exitCode = 1;
} finally {
  await pool.end();
}
