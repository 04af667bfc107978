import { type Static, type TInteger, type TObject, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** Raised at start-up when an environment variable is missing or malformed. */
export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`Invalid environment variable ${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/**
 * An integer variable: a duration (name it `*_MS` or `*_SECONDS`), a size
 * (`*_BYTES`) or a count. The unit is in the name, never in the helper.
 *
 * @example
 * ```ts
 * const Schema = Type.Object({ SESSION_TTL_SECONDS: Integer(3600), AUDIT_BATCH_SIZE: Integer(500, 1, 10_000) });
 * ```
 */
export function Integer(defaultValue: number, minimum = 1, maximum?: number): TInteger {
  return Type.Integer({ minimum, ...(maximum === undefined ? {} : { maximum }), default: defaultValue });
}

/** `PORT`, with the service's default. */
export function Port(defaultValue: number): TInteger {
  return Integer(defaultValue, 0, 65535);
}

/**
 * The entries of a comma-separated variable (`AUDIT_ALERT_WEBHOOKS`,
 * `JWT_PUBLIC_KEY_FILES`, `WEBAUTHN_ORIGINS`), trimmed, empty ones dropped.
 */
export function commaList(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** Variables every service reads. Spread into a service's own schema. */
export const CommonEnv = {
  HOST: Type.String({ default: '0.0.0.0' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  LOG_FORMAT: Type.Union([Type.Literal('json'), Type.Literal('pretty')], { default: 'json' }),
  REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379' }),
  REDIS_COMMAND_TIMEOUT_MS: Integer(1000, 50),
  /** `host:port,…` of Redis Sentinels; when set, the primary is found through them. */
  REDIS_SENTINELS: Type.String({
    default: '',
    pattern:
      '^$|^\\s*(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9_.-]+):[0-9]{1,5}\\s*(,\\s*(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9_.-]+):[0-9]{1,5}\\s*)*$',
  }),
  REDIS_SENTINEL_NAME: Type.String({ minLength: 1, default: 'gatehouse' }),
  REDIS_SENTINEL_PASSWORD: Type.String({ default: '' }),
};

/**
 * Reads the variables a schema names from `env`, applies defaults, converts
 * strings to numbers and booleans, and returns a frozen config. Throws
 * {@link ConfigError} naming the first bad variable.
 *
 * @example
 * ```ts
 * const config = loadConfig(Type.Object({ ...CommonEnv, PORT: Port(8081) }), process.env);
 * ```
 */
export function loadConfig<T extends TObject>(schema: T, env: NodeJS.ProcessEnv): Readonly<Static<T>> {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const raw = env[key];
    if (raw !== undefined && raw !== '') picked[key] = raw;
  }
  const value = Value.Convert(schema, Value.Default(schema, picked));
  const first = Value.Errors(schema, value).First();
  if (first) {
    const variable = first.path.split('/')[1] || '(config)';
    const given = picked[variable];
    throw new ConfigError(
      variable,
      given === undefined ? 'is required' : `${first.message} (got ${JSON.stringify(given)})`,
    );
  }
  return Object.freeze(value as Static<T>);
}
