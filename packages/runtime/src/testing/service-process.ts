import { type ChildProcess, spawn } from 'node:child_process';
import { waitFor } from './ports.js';

/** A service started as a real child process. */
export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  /** Every stdout line so far (JSON logs). */
  output: string[];
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Node arguments that run a TypeScript entry with workspace packages resolved to their sources. */
export const NODE_TS_ARGS = [
  '--conditions=gatehouse-source',
  '--import',
  'tsx',
  '--import',
  '@gatehouse/telemetry/register',
  // A CPU profile of every child process, written when it exits (docs/performance.md).
  ...(process.env.GATEHOUSE_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.GATEHOUSE_CPU_PROF_DIR}`] : []),
];

/**
 * Runs `entry` (a service's `src/server.ts`) with `env` and waits until
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
  const child = spawn(process.execPath, [...NODE_TS_ARGS, options.entry], {
    cwd: options.cwd ?? process.cwd(),
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
