import { Type } from '@sinclair/typebox';
import { ERROR_STATUS } from '../errors.js';

/** The JSON body of every error reply, for OpenAPI. */
export const ErrorResponseSchema = Type.Object({
  error: Type.Union(Object.keys(ERROR_STATUS).map((code) => Type.Literal(code))),
  message: Type.String(),
});

/** `/healthz` and `/readyz` replies. */
export const HealthResponseSchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  checks: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
