import { type Logger, pino } from 'pino';
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

export type { Logger };
