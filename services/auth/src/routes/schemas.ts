import { ErrorResponseSchema } from '@gatehouse/contracts';

/** Error replies every authenticated route may give, for OpenAPI. */
export const BEARER_ERRORS = { 401: ErrorResponseSchema, 503: ErrorResponseSchema } as const;

/** The OpenAPI security requirement of routes that take a bearer token. */
export const BEARER_SECURITY = [{ bearer: [] }];
