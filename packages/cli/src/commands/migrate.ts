import type { RunCommand } from './command.js';

/** `gatehouse migrate` */
export const run: RunCommand = async (_args, ctx, out) => {
  const { applied } = await ctx.database();
  out(applied.length ? `Applied migrations ${applied.join(', ')}.` : 'Database already up to date.');
};
