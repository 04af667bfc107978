import type { FastifyBaseLogger } from 'fastify';
import { type Bindings, type ChildLoggerOptions, type DestinationStream, type Level, type Logger, pino } from 'pino';
import { activeLogIds } from './tracing.js';

/** Paths pino removes from every log line: credentials never reach the logs. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'password',
  '*.password',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'secret',
  '*.secret',
];

/** Query parameters whose values never reach a log line: OAuth and JWT tokens, codes, passwords, keys, signatures. */
const SECRET_PARAM = /token|code|pass|pwd|secret|key|sig|auth|credential|assertion|cookie/i;

function paramName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/**
 * A request target as it may be logged: the value of every query parameter
 * whose name looks like a secret (`access_token`, `id_token`, `code`,
 * `password`, `client_secret`, `api_key`, `sig`, percent-encoded or not)
 * becomes `[redacted]`; everything else is kept as sent.
 *
 * @example
 * ```ts
 * redactUrl('/cb?code=abc&state=1'); // '/cb?code=[redacted]&state=1'
 * ```
 */
function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return SECRET_PARAM.test(paramName(name)) ? `${name}=[redacted]` : pair;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

/** What a request and a reply become in a log line (Fastify's own fields, the URL redacted). */
const LOG_SERIALIZERS = {
  req: (req: { method: string; url: string; host?: string; ip?: string; socket?: { remotePort?: number } }) => ({
    method: req.method,
    url: redactUrl(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  }),
  res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }),
  err: pino.stdSerializers.err,
};

/** Options of the one root logger of a process. */
export interface LoggerOptions {
  service: string;
  level: string;
  format: 'json' | 'pretty';
  /** Where lines go instead of stdout (tests). */
  destination?: DestinationStream;
}

/**
 * Creates the process' root logger; Fastify uses it as its own, everything
 * else takes a child of it. Every line made inside a traced operation carries
 * `trace_id` and `span_id` of the active span (none when tracing is off).
 * Credentials are removed by path ({@link REDACT_PATHS}) and from logged
 * request URLs ({@link redactUrl}).
 *
 * @example
 * ```ts
 * const logger = createLogger({ service: 'auth', level: 'info', format: 'json' });
 * ```
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.service },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: LOG_SERIALIZERS,
      mixin: activeLogIds,
      timestamp: pino.stdTimeFunctions.isoTime,
      ...(options.format === 'pretty' && options.destination === undefined
        ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } }
        : {}),
    },
    options.destination,
  );
}

type LogArgs = Parameters<Logger['info']>;

/**
 * A request's logger that makes its pino child only when a line is actually
 * written. Fastify gives every request a child logger, and making one (its
 * bindings go through redaction) was the largest source of garbage in the
 * gateway, whose requests mostly log nothing (docs/performance.md).
 */
class LazyChildLogger implements FastifyBaseLogger {
  #child: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
  ) {}

  get level(): string {
    return this.#child?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.#logger().level = level;
  }

  fatal(...args: LogArgs): void {
    this.#write('fatal', args);
  }
  error(...args: LogArgs): void {
    this.#write('error', args);
  }
  warn(...args: LogArgs): void {
    this.#write('warn', args);
  }
  info(...args: LogArgs): void {
    this.#write('info', args);
  }
  debug(...args: LogArgs): void {
    this.#write('debug', args);
  }
  trace(...args: LogArgs): void {
    this.#write('trace', args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.#logger().child(bindings, options);
  }

  #write(level: Level, args: LogArgs): void {
    if (this.#child === undefined && !this.parent.isLevelEnabled(level)) return;
    this.#logger()[level](...args);
  }

  #logger(): Logger {
    this.#child ??= this.parent.child(this.bindings);
    return this.#child;
  }
}

/**
 * Fastify's `childLoggerFactory`: a {@link LazyChildLogger}, or a plain child
 * when the route sets options of its own (e.g. a `logLevel`).
 */
export function requestLoggerFactory(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  if (Object.keys(options).length > 0) return logger.child(bindings, options);
  return new LazyChildLogger(logger as Logger, bindings);
}

export type { Logger };
