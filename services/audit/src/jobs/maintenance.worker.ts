import { AUTH_EVENTS_DEAD_STREAM, type AuditAlertView } from '@gatehouse/contracts';
import type { Ed25519KeyPair, Logger, Pool, Redis } from '@gatehouse/runtime';
import type { Job, Queue } from 'bullmq';
import type { DetectionRule } from '../domain/detection-rules.js';
import { runDetections } from '../repositories/alerts.repository.js';
import { writeDigest } from '../repositories/digests.repository.js';
import { type HousekeepingDays, removeExpired } from '../repositories/housekeeping.repository.js';
import { applyRetention, ensurePartitions } from '../repositories/retention.repository.js';
import { queueDeliveries } from './webhook.worker.js';

/** The repeatable maintenance jobs (job scheduler ids and job names). */
const MAINTENANCE_JOBS = ['digest', 'retention', 'detect'] as const;

/** What the maintenance jobs need. */
export interface MaintenanceDeps {
  pool: Pool;
  logger: Logger;
  keys: Ed25519KeyPair;
  rules: DetectionRule[];
  webhooks: Queue;
  webhookUrls: string[];
  retentionDays: number;
  /** How long the records outside the chain are kept; `deliveries` = webhook delivery jobs, `deadLetters` also trims `auth-events:dead`. */
  keepDays: HousekeepingDays & { deliveries: number };
  /** For trimming the dead-letter stream. */
  redis: Redis;
  /** Aborted on SIGTERM: a running job stops between its batches. */
  signal?: AbortSignal;
  onAlerts?: (alerts: AuditAlertView[]) => void;
}

async function digest(deps: MaintenanceDeps, log: Logger) {
  const outcome = await writeDigest(deps.pool, deps.keys);
  if (outcome.written) log.info(outcome, 'audit digest signed');
  else if (outcome.reason === 'chain_broken') log.error({ fault: outcome.fault }, 'audit chain broken');
  return outcome;
}

async function retention(deps: MaintenanceDeps, log: Logger) {
  // audit_events: this month's partition and the next two exist before any event needs them.
  const created = await ensurePartitions(deps.pool, { ahead: 2 });
  if (created.length > 0) log.info({ months: created }, 'audit_events partitions created');
  const outcome = await applyRetention(deps.pool, deps.keys, { days: deps.retentionDays });
  if ('throughSeq' in outcome) log.info(outcome, 'retention removed old events');
  else if (outcome.reason === 'chain_broken') log.error(outcome, 'retention refused: the chain is broken');
  const others = await housekeeping(deps);
  if (Object.values(others).some((n) => n > 0)) log.info(others, 'retention removed old records');
  return { ...outcome, others };
}

/** The records outside the chain: exports, reads, alerts, dead letters (table and stream), deliveries. */
async function housekeeping(deps: MaintenanceDeps) {
  const { keepDays } = deps;
  const removed = await removeExpired(deps.pool, keepDays);
  const deadBefore = Date.now() - keepDays.deadLetters * 86_400_000;
  const deadStream = Number(await deps.redis.xtrim(AUTH_EVENTS_DEAD_STREAM, 'MINID', `${deadBefore}-0`));
  const graceMs = keepDays.deliveries * 86_400_000;
  const deliveries =
    (await deps.webhooks.clean(graceMs, 1000, 'completed')).length +
    (await deps.webhooks.clean(graceMs, 1000, 'failed')).length;
  return { ...removed, deadStream, deliveries };
}

async function detect(deps: MaintenanceDeps, log: Logger) {
  const isStopping = () => deps.signal?.aborted ?? false;
  const { alerts, lastSeq, headSeq } = await runDetections(deps.pool, deps.rules, { isStopping });
  for (const a of alerts) log.warn({ alertId: a.id, rule: a.rule, subject: a.subject }, 'alert raised');
  if (alerts.length > 0) deps.onAlerts?.(alerts);
  const queued = await queueDeliveries(deps.pool, deps.webhooks, deps.webhookUrls);
  if (lastSeq < headSeq) log.info({ lastSeq, headSeq }, 'detection behind the head; the next run resumes');
  return { alerts: alerts.length, lastSeq, headSeq, queued };
}

/** Runs one maintenance job by its name: `digest`, `retention` or `detect`. */
export function maintenanceProcessor(deps: MaintenanceDeps) {
  return async (job: Job) => {
    const log = deps.logger.child({ queue: job.queueName, jobId: job.id, job: job.name });
    switch (job.name as (typeof MAINTENANCE_JOBS)[number]) {
      case 'digest':
        return await digest(deps, log);
      case 'retention':
        return await retention(deps, log);
      case 'detect':
        return await detect(deps, log);
      default:
        throw new Error(`unknown maintenance job ${job.name}`);
    }
  };
}
