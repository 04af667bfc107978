import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { waitFor } from './ports.js';

/** A service started as a real child process. */
export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  /** Every stdout line so far (JSON logs). */
  output: string[];
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Node arguments of every service child: telemetry, and a CPU profile written at exit (docs/performance.md). */
const SERVICE_ARGS = [
  '--import',
  '@gatehouse/telemetry/register',
  ...(process.env.GATEHOUSE_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.GATEHOUSE_CPU_PROF_DIR}`] : []),
];

/** Node arguments that run a TypeScript entry with workspace packages resolved to their sources. */
export const NODE_TS_ARGS = ['--conditions=gatehouse-source', '--import', 'tsx', ...SERVICE_ARGS];

/**
 * The node arguments for `entry`: its compiled `dist/` file, run as the images
 * run it, when `GATEHOUSE_TEST_DIST=1` (set by the test suite's global setup
 * once `tsc -b` has brought every `dist/` up to date with its sources) and the
 * file exists; else the TypeScript source through tsx. tsx's loader costs each
 * child about half a second of CPU at start-up.
 */
function entryArgs(entry: string, cwd: string): string[] {
  const compiled = entry.replace(/^((?:services|packages)\/[^/]+)\/src\/(.+)\.ts$/, '$1/dist/$2.js');
  if (process.env.GATEHOUSE_TEST_DIST === '1' && compiled !== entry && existsSync(resolve(cwd, compiled))) {
    return [...SERVICE_ARGS, compiled];
  }
  return [...NODE_TS_ARGS, entry];
}

/**
 * Runs `entry` (a service's `src/server.ts`, or its compiled `dist/server.js`:
 * see {@link entryArgs}) with `env` and waits until
 * `GET {url}{readyPath}` answers 200.
 *
 * @example
 * ```ts
 * const auth = await startServiceProcess({ entry: 'services/auth/src/server.ts', port, env });
 * ```
 */
export async function startServiceProcess(options: {
  entry: string;
  port: number;
  env: Record<string, string>;
  readyPath?: string;
  cwd?: string;
}): Promise<ServiceProcess> {
  const cwd = options.cwd ?? process.cwd();
  const child = spawn(process.execPath, entryArgs(options.entry, cwd), {
    cwd,
    env: { ...process.env, LOG_FORMAT: 'json', ...options.env, PORT: String(options.port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  let tail = '';
  const collect = (chunk: Buffer) => {
    const lines = (tail + chunk.toString()).split('\n');
    tail = lines.pop() ?? '';
    output.push(...lines);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const url = `http://127.0.0.1:${options.port}`;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`${options.entry} exited: ${output.slice(-20).join('\n')}`);
        return (await fetch(`${url}${options.readyPath ?? '/readyz'}`)).ok;
      },
      30_000,
      `${options.entry} on port ${options.port}`,
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${output.slice(-20).join('\n')}`);
  }
  return {
    child,
    url,
    output,
    kill: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return await exited;
    },
  };
}
