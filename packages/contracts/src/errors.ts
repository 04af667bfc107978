/**
 * Every error code Gatehouse returns, with its HTTP status. Codes are
 * lowercase snake case in the OAuth style and never change meaning; the
 * documentation of each is in docs/architecture.md#errors.
 */
export const ERROR_STATUS = {
  validation_failed: 400,
  invalid_json: 400,
  invalid_credentials: 401,
  invalid_token: 401,
  insufficient_user_authentication: 401,
  insufficient_role: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_attempts: 429,
  rate_limited: 429,
  internal_error: 500,
  upstream_unavailable: 502,
  dependency_unavailable: 503,
  upstream_timeout: 504,
} as const;

/** A stable, documented error code. */
export type ErrorCode = keyof typeof ERROR_STATUS;

/** The JSON body of every error reply. */
export interface ErrorBody {
  error: ErrorCode;
  message: string;
}

/**
 * The one error base class. Handlers throw it; each app's error handler turns
 * it into `{ error, message }` with {@link ERROR_STATUS}'s status.
 *
 * @example
 * ```ts
 * throw new GatehouseError('invalid_token', 'The session has ended.');
 * ```
 */
export class GatehouseError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; headers?: Record<string, string> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatehouseError';
    this.code = code;
    this.statusCode = ERROR_STATUS[code];
    this.headers = options?.headers ?? {};
  }

  /** The client-safe reply body. */
  toBody(): ErrorBody {
    return { error: this.code, message: this.message };
  }
}
