import { hostname } from 'node:os';
import { CommonEnv, loadConfig } from '@gatehouse/runtime';
import { type Static, Type } from '@sinclair/typebox';

const Millis = (fallback: number, minimum = 10) => Type.Integer({ minimum, default: fallback });

/** Every environment variable the audit service reads. */
export const ConfigSchema = Type.Object({
  ...CommonEnv,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8082 }),
  DATABASE_URL: Type.String({ default: 'postgres://postgres:postgres@127.0.0.1:5432/gatehouse' }),
  DATABASE_POOL_MAX: Type.Integer({ minimum: 2, default: 10 }),
  AUDIT_CONSUME: Type.Boolean({ default: true }),
  AUDIT_CONSUMER_NAME: Type.String({ minLength: 1, default: hostname() }),
  AUDIT_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
  AUDIT_BLOCK_MS: Millis(2000, 1),
  AUDIT_CLAIM_IDLE_MS: Millis(30_000),
  AUDIT_CLAIM_INTERVAL_MS: Millis(10_000),
  AUDIT_MAX_DELIVERIES: Type.Integer({ minimum: 1, default: 5 }),
  AUDIT_RETRY_MAX_MS: Millis(2000),
  AUDIT_TRIM_INTERVAL_MS: Millis(60_000),
  AUDIT_DIGEST_INTERVAL_MS: Millis(300_000),
  AUDIT_DIGEST_KEY_FILE: Type.String({ minLength: 1, default: '.gatehouse/keys/audit-digest.pem' }),
  AUDIT_GENERATE_KEY: Type.Boolean({ default: false }),
  AUDIT_LIVE_POLL_MS: Millis(250),
  AUDIT_SSE_HEARTBEAT_MS: Millis(15_000),
});

/** The validated audit configuration. */
export type AuditConfig = Static<typeof ConfigSchema>;

/** Reads and validates the audit configuration from `env`. */
export function loadServiceConfig(env: NodeJS.ProcessEnv): Readonly<AuditConfig> {
  return loadConfig(ConfigSchema, env);
}
