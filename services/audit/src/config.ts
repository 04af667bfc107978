import { hostname } from 'node:os';
import { CommonEnv, ConfigError, commaList, Integer, loadConfig, Port } from '@gatehouse/runtime';
import { type Static, Type } from '@sinclair/typebox';

/** Every environment variable the audit service reads. */
export const ConfigSchema = Type.Object({
  ...CommonEnv,
  PORT: Port(8082),
  DATABASE_URL: Type.String({ default: 'postgres://postgres:postgres@127.0.0.1:5432/gatehouse' }),
  DATABASE_POOL_MAX: Integer(10, 2),
  AUDIT_GATEWAY_JWKS_URL: Type.String({
    minLength: 1,
    default: 'http://127.0.0.1:8080/.well-known/gateway-jwks.json',
    description: "the gateway's assertion keys",
  }),
  AUDIT_READ_DATABASE_URL: Type.String({ default: '', description: 'a read replica for queries and exports' }),
  AUDIT_CONSUME: Type.Boolean({ default: true }),
  AUDIT_CONSUMER_NAME: Type.String({ minLength: 1, default: hostname() }),
  AUDIT_BATCH_SIZE: Integer(500, 1, 10_000),
  AUDIT_BLOCK_MS: Integer(2000),
  AUDIT_CLAIM_IDLE_MS: Integer(30_000, 10),
  AUDIT_CLAIM_INTERVAL_MS: Integer(10_000, 10),
  AUDIT_MAX_DELIVERIES: Integer(5),
  AUDIT_RETRY_MAX_MS: Integer(2000, 10),
  AUDIT_TRIM_INTERVAL_MS: Integer(60_000, 10),
  AUDIT_DIGEST_INTERVAL_MS: Integer(300_000, 10),
  AUDIT_DIGEST_KEY_FILE: Type.String({ minLength: 1, default: '.gatehouse/keys/audit-digest.pem' }),
  AUDIT_GENERATE_KEY: Type.Boolean({ default: false }),
  AUDIT_LIVE_POLL_MS: Integer(250, 10),
  AUDIT_SSE_HEARTBEAT_MS: Integer(15_000, 10),
  AUDIT_SESSION_CHECK_MS: Integer(500, 10),
  AUDIT_ROLE: Type.Union([Type.Literal('all'), Type.Literal('worker')], { default: 'all' }),
  AUDIT_WORKERS: Type.Boolean({ default: true }),
  AUDIT_SHUTDOWN_GRACE_MS: Integer(25_000, 100),
  AUDIT_QUEUE_PREFIX: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.-]+$', default: 'bull' }),
  AUDIT_JOB_LOCK_MS: Integer(30_000, 200),
  AUDIT_DETECT_INTERVAL_MS: Integer(5000, 100),
  AUDIT_BRUTE_FORCE_FAILURES: Integer(10, 2, 1000),
  AUDIT_BRUTE_FORCE_WINDOW_SECONDS: Integer(300),
  AUDIT_STUFFING_USERNAMES: Integer(10, 2, 1000),
  AUDIT_STUFFING_WINDOW_SECONDS: Integer(300),
  AUDIT_LOCKOUT_SUCCESS_WINDOW_SECONDS: Integer(900),
  AUDIT_MULTI_IP_COUNT: Integer(3, 2, 100),
  AUDIT_MULTI_IP_WINDOW_SECONDS: Integer(600),
  AUDIT_MFA_FAILURES: Integer(5, 2, 1000),
  AUDIT_MFA_FAILURE_WINDOW_SECONDS: Integer(900),
  AUDIT_ALERT_WEBHOOKS: Type.String({ default: '', description: 'comma-separated http(s) URLs' }),
  AUDIT_WEBHOOK_SECRET: Type.String({ default: '' }),
  AUDIT_WEBHOOK_ATTEMPTS: Integer(10, 1, 50),
  AUDIT_WEBHOOK_BACKOFF_MS: Integer(1000),
  AUDIT_WEBHOOK_TIMEOUT_MS: Integer(5000, 50),
  AUDIT_EXPORT_DIR: Type.String({ minLength: 1, default: '.gatehouse/exports' }),
  AUDIT_RETENTION_DAYS: Integer(365),
  AUDIT_RETENTION_INTERVAL_MS: Integer(3_600_000, 100),
  AUDIT_EXPORT_RETENTION_DAYS: Integer(7),
  AUDIT_READS_RETENTION_DAYS: Integer(365),
  AUDIT_ALERTS_RETENTION_DAYS: Integer(365),
  AUDIT_DELIVERIES_RETENTION_DAYS: Integer(30),
  AUDIT_DEAD_LETTERS_RETENTION_DAYS: Integer(90),
});

/** The validated audit configuration. */
export type AuditConfig = Readonly<Static<typeof ConfigSchema>>;

const isHttpUrl = (u: string) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol);

/** Reads and validates the audit configuration from `env`. */
export function loadServiceConfig(env: NodeJS.ProcessEnv): AuditConfig {
  const config = loadConfig(ConfigSchema, env);
  if (!isHttpUrl(config.AUDIT_GATEWAY_JWKS_URL))
    throw new ConfigError('AUDIT_GATEWAY_JWKS_URL', 'is not an http(s) URL');
  const urls = webhookUrls(config);
  const bad = urls.findIndex((u) => !isHttpUrl(u));
  // The URL itself is not echoed: webhook URLs often carry a secret in their path.
  if (bad >= 0) throw new ConfigError('AUDIT_ALERT_WEBHOOKS', `entry ${bad + 1} is not an http(s) URL`);
  if (urls.length > 0 && config.AUDIT_WEBHOOK_SECRET.length < 16) {
    throw new ConfigError('AUDIT_WEBHOOK_SECRET', 'must be at least 16 characters when AUDIT_ALERT_WEBHOOKS is set');
  }
  return config;
}

/** The alert webhook URLs of `AUDIT_ALERT_WEBHOOKS`. */
export function webhookUrls(config: Pick<AuditConfig, 'AUDIT_ALERT_WEBHOOKS'>): string[] {
  return commaList(config.AUDIT_ALERT_WEBHOOKS);
}
