// `npm start`: installs dependencies when missing, then runs the local stack
// (scripts/stack/main.ts) with workspace packages resolved to their sources.
import { spawn } from 'node:child_process';

await import('./ensure-deps.mjs');
const child = spawn(
  process.execPath,
  ['--conditions=gatehouse-source', '--import', 'tsx', 'scripts/stack/main.ts', ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
