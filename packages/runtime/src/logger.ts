import type { FastifyBaseLogger } from 'fastify';
import { type Bindings, type ChildLoggerOptions, type Level, type Logger, pino } from 'pino';
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

/** Options of the one root logger of a process. */
export interface LoggerOptions {
  service: string;
  level: string;
  format: 'json' | 'pretty';
}

/**
 * Creates the process' root logger; Fastify uses it as its own, everything
 * else takes a child of it. Every line made inside a traced operation carries
 * `trace_id` and `span_id` of the active span (none when tracing is off).
 *
 * @example
 * ```ts
 * const logger = createLogger({ service: 'auth', level: 'info', format: 'json' });
 * ```
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino({
    level: options.level,
    base: { service: options.service },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    mixin: activeLogIds,
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(options.format === 'pretty'
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  });
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
