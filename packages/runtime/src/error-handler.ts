import { type ErrorBody, type ErrorCode, GatehouseError } from '@gatehouse/contracts';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation_failed',
};

const STATUS_CODES: Record<number, ErrorCode> = {
  401: 'invalid_token',
  403: 'insufficient_role',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  502: 'upstream_unavailable',
  503: 'dependency_unavailable',
  504: 'upstream_timeout',
};

/**
 * A PostgreSQL "data exception" (SQLSTATE class 22: NUL in text, a date or
 * number out of range, a malformed uuid) can only come from a value the
 * client sent that the schema let through: a 400, never a 500.
 */
function isPostgresDataException(err: Error): boolean {
  const { code, severity } = err as Error & { code?: unknown; severity?: unknown };
  return typeof severity === 'string' && typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}

/** Maps any thrown error to the status and `{ error, message }` body a client sees. */
function toErrorReply(err: FastifyError | GatehouseError | Error): {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
} {
  if (err instanceof GatehouseError) return { status: err.statusCode, body: err.toBody(), headers: { ...err.headers } };
  const fastifyErr = err as FastifyError;
  if (isPostgresDataException(err)) {
    return {
      status: 400,
      body: { error: 'validation_failed', message: 'A value is out of range or not valid text.' },
      headers: {},
    };
  }
  if (fastifyErr.validation) {
    return { status: 400, body: { error: 'validation_failed', message: err.message }, headers: {} };
  }
  const status = fastifyErr.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code = FASTIFY_CODES[fastifyErr.code] ?? STATUS_CODES[status] ?? 'validation_failed';
    return { status, body: { error: code, message: err.message }, headers: {} };
  }
  if (status > 500 && STATUS_CODES[status]) {
    return { status, body: { error: STATUS_CODES[status], message: err.message }, headers: {} };
  }
  return { status: 500, body: { error: 'internal_error', message: 'Internal server error' }, headers: {} };
}

/**
 * The one error handler of an app: every error becomes `{ error, message }`
 * with the right status; unknown errors are logged with the request id and
 * shown to the client as a generic 500.
 */
export default fp(
  async function errorHandler(app: FastifyInstance) {
    app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const { status, body, headers } = toErrorReply(err);
      if (status >= 500) request.log.error({ err }, 'request failed');
      else request.log.info({ error: body.error, detail: body.message }, 'request refused');
      return reply.code(status).headers(headers).type('application/json').send(body);
    });
    app.setNotFoundHandler((request, reply) =>
      reply
        .code(404)
        .send({ error: 'not_found', message: `Route ${request.method} ${request.url.split('?')[0]} not found` }),
    );
  },
  { name: 'gatehouse-error-handler', fastify: '5.x' },
);
