import { parseArgs } from 'node:util';
import type { Command } from './commands/command.js';
import { COMMANDS } from './commands/index.js';
import { CliError, EXIT } from './errors.js';

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length));
  return [
    'Usage: gatehouse <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
    '',
    'Options: --json (machine-readable output on stdout), -h/--help.',
    'Environment: DATABASE_URL (users, migrate, audit verify), REDIS_URL (default redis://127.0.0.1:6379),',
    '  REDIS_SENTINELS / REDIS_SENTINEL_NAME / REDIS_SENTINEL_PASSWORD (find the primary through Sentinel),',
    '  REDIS_WAIT_REPLICAS (replicas that must confirm a revocation),',
    "  SESSION_CACHE_LEASE_MS (the gateways' cache lease a revocation waits out for a silent gateway),",
    '  AUDIT_DIGEST_KEY_FILE (audit verify; the digest signing key or its public key).',
    'Exit codes: 0 ok, 1 failure, 2 user exists, 3 not found, 4 audit trail broken, 64 usage or invalid input.',
  ].join('\n');
}

function findCommand(argv: string[]): Command | undefined {
  return COMMANDS.filter((c) => c.path.every((word, i) => argv[i] === word)).sort(
    (a, b) => b.path.length - a.path.length,
  )[0];
}

/**
 * Puts the positionals after `--`, so a value that begins with `-` or `--` (a
 * session id is base64url, so one in 64 does, one in 4,096 twice) is taken as
 * an argument, not an option.
 */
function positionalsLast(args: string[], options: Command['options'] = {}): string[] {
  const byShort = new Map(Object.entries(options).flatMap(([name, o]) => (o.short ? [[`-${o.short}`, name]] : [])));
  const flags: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    // `--name` is an option only when the command has it (a session id may begin with `--` too).
    const long = arg.startsWith('--') ? (arg.slice(2).split('=')[0] as string) : undefined;
    if (arg === '-h' || byShort.has(arg) || (long !== undefined && (long === 'help' || long in options))) {
      flags.push(arg);
      const name = byShort.get(arg) ?? arg.slice(2);
      if (options[name]?.type === 'string' && i + 1 < args.length) flags.push(args[++i] as string);
    } else {
      positionals.push(arg);
    }
  }
  return [...flags, '--', ...positionals];
}

function parse(command: Command, argv: string[]) {
  try {
    const parsed = parseArgs({
      args: positionalsLast(argv.slice(command.path.length), command.options),
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { positionals: parsed.positionals, values: parsed.values as Record<string, unknown> };
  } catch (err) {
    throw new CliError(`${(err as Error).message}\nUsage: gatehouse ${command.usage}`, EXIT.usage);
  }
}

/** Runs the `gatehouse` command line; resolves with the exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    (argv.length === 0 ? console.error : console.log)(help());
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  const command = findCommand(argv);
  if (!command) throw new CliError(`Unknown command "${argv.join(' ')}".\n\n${help()}`, EXIT.usage);
  const args = parse(command, argv);
  if (args.values.help) {
    console.log(`Usage: gatehouse ${command.usage}\n\n${command.summary}`);
    return EXIT.ok;
  }
  const [min, max] =
    typeof command.positionals === 'number' ? [command.positionals, command.positionals] : command.positionals;
  if (args.positionals.length < min || args.positionals.length > max) {
    const expected = min === max ? `${min}` : `${min} to ${max}`;
    throw new CliError(`Expected ${expected} argument(s).\nUsage: gatehouse ${command.usage}`, EXIT.usage);
  }
  // Loaded only now: a command's module and the context import the services' packages, which
  // --help does not need (docs/performance.md).
  const [{ run }, { createCliContext }] = await Promise.all([command.load(), import('./context.js')]);
  const ctx = createCliContext(env);
  try {
    await run(args, ctx, (line) => console.log(line));
    return EXIT.ok;
  } finally {
    await ctx.close();
  }
}

async function report(err: unknown): Promise<number> {
  if (err instanceof CliError) {
    console.error(`gatehouse: ${err.message}`);
    return err.exitCode;
  }
  const { ConfigError } = await import('@gatehouse/runtime');
  if (err instanceof ConfigError) {
    console.error(`gatehouse: ${err.message}`);
    return EXIT.usage;
  }
  console.error(`gatehouse: unexpected error: ${(err as Error).message ?? String(err)}`);
  return EXIT.failure;
}

process.exitCode = await main(process.argv.slice(2)).catch(report);
