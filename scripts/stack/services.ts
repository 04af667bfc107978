import { type ChildProcess, spawn } from 'node:child_process';
import { NODE_TS_ARGS, waitFor } from '@gatehouse/runtime/testing';

/**
 * Auth's `TRUST_PROXY` in the local stack: exactly the gateway, which reaches
 * auth from the loopback address of `AUTH_URL`, so the per-address login limit
 * and every event see the client's address, never the gateway's, and never an
 * `X-Forwarded-For` a client wrote itself (the gateway replaces it).
 */
export const AUTH_BEHIND_GATEWAY_ENV = { TRUST_PROXY: '127.0.0.1' } as const;

/** A service of the local stack, running as a child process with its logs on this terminal. */
export interface StackService {
  name: string;
  url: string;
  child: ChildProcess;
}

/** Starts `services/<name>/src/server.ts` on `port` and waits for `/readyz`. */
export async function startStackService(
  name: string,
  port: number,
  env: Record<string, string>,
): Promise<StackService> {
  const child = spawn(process.execPath, [...NODE_TS_ARGS, `services/${name}/src/server.ts`], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}`);
      return (await fetch(`${url}/readyz`)).ok;
    },
    60_000,
    `${name} to be ready on ${url}`,
  );
  return { name, url, child };
}

/** Sends SIGTERM to every service and waits for them to exit. */
export async function stopStackServices(services: StackService[]): Promise<void> {
  await Promise.all(
    services.map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
}

/** Runs the `gatehouse` CLI with `input` on stdin; resolves with its exit code. */
export function runCli(args: string[], env: Record<string, string>, input: string): Promise<number> {
  const child = spawn(process.execPath, ['packages/cli/bin/gatehouse.js', ...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  child.stdin.end(input);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}
