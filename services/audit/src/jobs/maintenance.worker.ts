import type { AuditAlertView } from '@gatehouse/contracts';
import type { Ed25519KeyPair, Logger, Pool } from '@gatehouse/runtime';
import type { Job, Queue } from 'bullmq';
import type { DetectionRule } from '../domain/detection-rules.js';
import { runDetections } from '../repositories/alerts.repository.js';
import { writeDigest } from '../repositories/digests.repository.js';
import { applyRetention, ensurePartitions } from '../repositories/retention.repository.js';
import { queueDeliveries } from './webhook.worker.js';

/** The repeatable maintenance jobs (job scheduler ids and job names). */
export const MAINTENANCE_JOBS = ['digest', 'retention', 'detect'] as const;

/** What the maintenance jobs need. */
export interface MaintenanceDeps {
  pool: Pool;
  logger: Logger;
  keys: Ed25519KeyPair;
  rules: DetectionRule[];
  webhooks: Queue;
  webhookUrls: string[];
  retentionDays: number;
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
  return outcome;
}

async function detect(deps: MaintenanceDeps, log: Logger) {
  const { alerts, lastSeq } = await runDetections(deps.pool, deps.rules);
  for (const a of alerts) log.warn({ alertId: a.id, rule: a.rule, subject: a.subject }, 'alert raised');
  if (alerts.length > 0) deps.onAlerts?.(alerts);
  const queued = await queueDeliveries(deps.pool, deps.webhooks, deps.webhookUrls);
  return { alerts: alerts.length, lastSeq, queued };
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
