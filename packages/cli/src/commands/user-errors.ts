import { UserError } from '@gatehouse/auth';
import { CliError, EXIT } from '../errors.js';

const EXIT_CODES = { user_exists: EXIT.exists, user_not_found: EXIT.notFound, invalid_input: EXIT.usage } as const;

/** Runs a user operation, turning a refused one into a {@link CliError} with its exit code. */
export async function userOperation<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UserError) throw new CliError(err.message, EXIT_CODES[err.code]);
    throw err;
  }
}
