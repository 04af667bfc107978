import { SESSION_CACHE_LEASE_MS_DEFAULT } from '@gatehouse/contracts';
import { CommonEnv, commaList, Integer, loadConfig, Port, TrustProxyEnv } from '@gatehouse/runtime';
import { type Static, Type } from '@sinclair/typebox';

/** The environment variables of the auth service; keys are the variable names. */
export const ConfigSchema = Type.Object({
  ...CommonEnv,
  PORT: Port(8081),
  DATABASE_URL: Type.String({ minLength: 1 }),
  JWT_ISSUER: Type.String({ minLength: 1, default: 'gatehouse' }),
  JWT_AUDIENCE: Type.String({ minLength: 1, default: 'gatehouse' }),
  JWT_PRIVATE_KEY_FILE: Type.String({ minLength: 1, default: '.gatehouse/keys/jwt-signing.pem' }),
  JWT_PUBLIC_KEY_FILES: Type.String({ default: '', description: 'comma-separated older public keys (rotation)' }),
  JWT_GENERATE_KEY: Type.Boolean({ default: false }),
  SESSION_TTL_SECONDS: Integer(3600),
  SESSION_IDLE_TIMEOUT_SECONDS: Integer(0, 0),
  LOGIN_MAX_ATTEMPTS: Integer(5),
  LOGIN_WINDOW_SECONDS: Integer(60),
  LOGIN_MAX_ATTEMPTS_PER_IP: Integer(50),
  LOGIN_MAX_FAILURES: Integer(100),
  LOGIN_FAILURE_WINDOW_SECONDS: Integer(3600),
  /** argon2 computations at once (the rest wait in line); 0 = one per CPU (`os.availableParallelism()`). */
  ARGON2_CONCURRENCY: Integer(0, 0, 64),
  /** Replicas that must confirm a session write (`WAIT`) before it is answered; 0 with a single Redis. */
  REDIS_WAIT_REPLICAS: Integer(0, 0, 10),
  /** The gateways' `SESSION_CACHE_LEASE_MS`: how long a revocation waits for a gateway that does not confirm it. */
  SESSION_CACHE_LEASE_MS: Integer(SESSION_CACHE_LEASE_MS_DEFAULT, 50),
  MFA_KEY_FILE: Type.String({ minLength: 1, default: '.gatehouse/keys/mfa-secrets.key' }),
  MFA_GENERATE_KEY: Type.Boolean({ default: false }),
  MFA_ISSUER: Type.String({ minLength: 1, maxLength: 64, default: 'Gatehouse' }),
  MFA_CHALLENGE_TTL_SECONDS: Integer(300),
  MFA_CHALLENGE_MAX_ATTEMPTS: Integer(5),
  MFA_FRESH_SECONDS: Integer(300),
  WEBAUTHN_RP_ID: Type.String({ minLength: 1, default: 'localhost', description: 'the site passkeys are bound to' }),
  WEBAUTHN_RP_NAME: Type.String({ minLength: 1, default: 'Gatehouse' }),
  WEBAUTHN_ORIGINS: Type.String({
    minLength: 1,
    default: 'http://localhost:8080',
    description: 'comma-separated origins the browser may sign passkey ceremonies for',
  }),
  ...TrustProxyEnv,
  BODY_LIMIT_BYTES: Integer(16 * 1024, 1024),
});

/** The validated, frozen configuration of the auth service. */
export type AuthConfig = Readonly<Static<typeof ConfigSchema>>;

/**
 * Validates `env` against {@link ConfigSchema}; throws a `ConfigError` naming
 * the first bad variable.
 */
export function loadServiceConfig(env: NodeJS.ProcessEnv): AuthConfig {
  return loadConfig(ConfigSchema, env);
}

/** The file list in `JWT_PUBLIC_KEY_FILES`. */
export function publicKeyFiles(config: Pick<AuthConfig, 'JWT_PUBLIC_KEY_FILES'>): string[] {
  return commaList(config.JWT_PUBLIC_KEY_FILES);
}
