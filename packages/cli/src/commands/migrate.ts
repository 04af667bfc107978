import type { Command } from './command.js';

/** `gatehouse migrate` */
export const migrate: Command = {
  path: ['migrate'],
  usage: 'migrate',
  summary: 'Apply the database migrations (the services also do this at start-up).',
  positionals: 0,
  async run(_args, ctx, out) {
    const { applied } = await ctx.database();
    out(applied.length ? `Applied migrations ${applied.join(', ')}.` : 'Database already up to date.');
  },
};
