import type { CliContext } from '../context.js';

/** One `gatehouse` sub-command, as `commands/index.ts` lists it; its module (one file each) runs it. */
export interface Command {
  /** The words that select it, e.g. `['users', 'add']`. */
  path: string[];
  /** Usage line after `gatehouse`, e.g. `users add <username> [--role <role>]...`. */
  usage: string;
  summary: string;
  /** `node:util` parseArgs options. */
  options?: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;
  /** Number of positional arguments expected after the path, or the allowed range. */
  positionals: number | readonly [min: number, max: number];
  /** Loads the command's module, which runs it. */
  load(): Promise<{ run: RunCommand }>;
}

/** What a command's module exports as `run`: does the work, writing its output through `out`. */
export type RunCommand = (
  args: { positionals: string[]; values: Record<string, unknown> },
  ctx: CliContext,
  out: (line: string) => void,
) => Promise<void>;
