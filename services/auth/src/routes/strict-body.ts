import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * A validator compiler that never coerces: the shared app's Ajv converts
 * `42` to `"42"` (handy for query strings), but a JSON body of the wrong type
 * must be a 400 that names the field.
 */
export const strictBodyValidator: FastifySchemaCompiler<unknown> = ({ schema }) => {
  const check = TypeCompiler.Compile(schema as TSchema);
  return (data: unknown) => {
    if (check.Check(data)) return { value: data };
    const first = check.Errors(data).First();
    const field = first?.path ? `body${first.path}` : 'body';
    return { error: new Error(`${field} ${first?.message ?? 'is invalid'}`) };
  };
};
