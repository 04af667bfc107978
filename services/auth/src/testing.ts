import { freePort, type ServiceProcess, startServiceProcess } from '@gatehouse/runtime/testing';

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
