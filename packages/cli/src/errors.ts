/** Exit codes of the `gatehouse` command. */
export const EXIT = {
  ok: 0,
  failure: 1,
  exists: 2,
  notFound: 3,
  verifyFailed: 4,
  usage: 64,
} as const;

/** An error shown to the person as one line, ending the command with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.failure) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
