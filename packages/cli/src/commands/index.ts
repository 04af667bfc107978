import type { Command } from './command.js';

/**
 * Every command, in the order `--help` lists them. A command's module (and the
 * packages it imports) loads only when it runs, so `--help` loads none of them.
 */
export const COMMANDS: readonly Command[] = [
  {
    path: ['users', 'add'],
    usage: 'users add <username> [--role <role>]...',
    summary: 'Create a user; the password is read from stdin or a hidden prompt.',
    options: { role: { type: 'string', multiple: true } },
    positionals: 1,
    load: () => import('./users-add.js'),
  },
  {
    path: ['users', 'disable'],
    usage: 'users disable <username>',
    summary: 'Disable a user and end all of its sessions.',
    positionals: 1,
    load: () => import('./users-disable.js'),
  },
  {
    path: ['users', 'set-password'],
    usage: 'users set-password <username>',
    summary: "Replace a user's password (stdin or hidden prompt) and end its sessions.",
    positionals: 1,
    load: () => import('./users-set-password.js'),
  },
  {
    path: ['users', 'mfa', 'show'],
    usage: 'users mfa show <username> [--json]',
    summary: "Show a user's second factors (TOTP, passkeys, recovery codes left).",
    options: { json: { type: 'boolean' } },
    positionals: 1,
    load: () => import('./users-mfa-show.js'),
  },
  {
    path: ['users', 'mfa', 'reset'],
    usage: 'users mfa reset <username>',
    summary: 'Delete every second factor of a user (published as auth.mfa.removed with the operator as actor).',
    positionals: 1,
    load: () => import('./users-mfa-reset.js'),
  },
  {
    path: ['sessions', 'list'],
    usage: 'sessions list [--user <id|username>] [--json]',
    summary: 'List live sessions (all of them with SCAN, or one user from its index).',
    options: { user: { type: 'string' }, json: { type: 'boolean' } },
    positionals: 0,
    load: () => import('./sessions-list.js'),
  },
  {
    path: ['sessions', 'show'],
    usage: 'sessions show <sid> [--json]',
    summary: 'Show one live session (exit 3 when it does not exist).',
    options: { json: { type: 'boolean' } },
    positionals: 1,
    load: () => import('./sessions-show.js'),
  },
  {
    path: ['sessions', 'revoke'],
    usage: 'sessions revoke <sid> | --user <id|username> [--json]',
    summary:
      'End one session, or every session of a user; auth.sessions.revoked (the operator as actor) is published in the same Redis transaction.',
    options: { user: { type: 'string' }, json: { type: 'boolean' } },
    positionals: [0, 1],
    load: () => import('./sessions-revoke.js'),
  },
  {
    path: ['stream', 'info'],
    usage: 'stream info [--json]',
    summary: 'Length of auth-events, each group’s lag, pending and consumers, and the dead letters.',
    options: { json: { type: 'boolean' } },
    positionals: 0,
    load: () => import('./stream-info.js'),
  },
  {
    path: ['redis', 'memory'],
    usage: 'redis memory [--samples <n>] [--json]',
    summary: 'INFO memory summary, session count, and bytes per session (MEMORY USAGE of sampled sessions).',
    options: { samples: { type: 'string' }, json: { type: 'boolean' } },
    positionals: 0,
    load: () => import('./redis-memory.js'),
  },
  {
    path: ['audit', 'tail'],
    usage: 'audit tail [--type <type>]... [--count <n>] [--json]',
    summary: 'Follow new auth events live (XREAD BLOCK from now on; Ctrl-C to stop). Reads only, acknowledges nothing.',
    options: { type: { type: 'string', multiple: true }, count: { type: 'string' }, json: { type: 'boolean' } },
    positionals: 0,
    load: () => import('./audit-tail.js'),
  },
  {
    path: ['audit', 'verify'],
    usage: 'audit verify [--json]',
    summary: 'Check the audit trail’s hash chain and signed digests (exit 4 when it was tampered with).',
    options: { json: { type: 'boolean' } },
    positionals: 0,
    load: () => import('./audit-verify.js'),
  },
  {
    path: ['migrate'],
    usage: 'migrate',
    summary: 'Apply the database migrations (the services also do this at start-up).',
    positionals: 0,
    load: () => import('./migrate.js'),
  },
];
