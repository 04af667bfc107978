import { freePort, type ServiceProcess, startServiceProcess } from '@gatehouse/runtime/testing';
import { Secret, TOTP } from 'otpauth';

/** What {@link startAuthProcess} needs. */
export interface AuthProcessOptions {
  databaseUrl: string;
  redisUrl: string;
  /** Where auth writes the signing key it generates (or finds it on a restart). */
  keyFile: string;
  /** A port chosen beforehand; a free one otherwise. */
  port?: number;
  /** Further variables: login limits, logging, more public keys. */
  env?: Record<string, string>;
  /** The path waited for (`/readyz` by default; `/healthz` to start before a dependency answers). */
  readyPath?: string;
}

/**
 * Starts the auth service as a child process on a test database and Redis,
 * generating its signing key, and waits until it is ready.
 *
 * @example
 * ```ts
 * const auth = await startAuthProcess({ databaseUrl: db.url, redisUrl: redis.url, keyFile: join(dir, 'k.pem') });
 * ```
 */
export async function startAuthProcess(options: AuthProcessOptions): Promise<ServiceProcess> {
  return await startServiceProcess({
    entry: 'services/auth/src/server.ts',
    port: options.port ?? (await freePort()),
    ...(options.readyPath ? { readyPath: options.readyPath } : {}),
    env: {
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: options.redisUrl,
      JWT_GENERATE_KEY: 'true',
      JWT_PRIVATE_KEY_FILE: options.keyFile,
      MFA_GENERATE_KEY: 'true',
      MFA_KEY_FILE: `${options.keyFile}.mfa`,
      ...options.env,
    },
  });
}

/** The code an authenticator app shows for `secret` (base32) at now + `offsetSeconds`. */
export function totpCode(secret: string, offsetSeconds = 0): string {
  const timestamp = Date.now() + offsetSeconds * 1000;
  return TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp });
}

/**
 * Waits (polling, with a deadline) until at least `marginSeconds` remain in
 * the current 30 s TOTP step, so codes computed now are judged in the same step.
 */
export async function awayFromStepEdge(marginSeconds = 5): Promise<void> {
  const deadline = Date.now() + 40_000;
  while (30 - ((Date.now() / 1000) % 30) < marginSeconds) {
    if (Date.now() > deadline) throw new Error('the clock did not move');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
