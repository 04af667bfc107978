import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '@gatehouse/runtime/testing';

/** A private nginx process started from a generated config. */
export interface TestNginx {
  url: string;
  stop(): Promise<void>;
}

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p)) ?? 'nginx';

/** The documented `auth_request` lines (docs/gateway.md): ask `check`, pass the identity it answers on. */
export function authRequestDirectives(check: string): string {
  return `
      auth_request ${check};
      auth_request_set $gatehouse_user $upstream_http_x_user_id;
      auth_request_set $gatehouse_roles $upstream_http_x_user_roles;
      auth_request_set $gatehouse_session $upstream_http_x_session_id;
      auth_request_set $gatehouse_request $upstream_http_x_request_id;
      proxy_set_header X-User-Id $gatehouse_user;
      proxy_set_header X-User-Roles $gatehouse_roles;
      proxy_set_header X-Session-Id $gatehouse_session;
      proxy_set_header X-Request-Id $gatehouse_request;
      proxy_set_header X-Username "";`;
}

/** The `http` block's file settings: no access log, every temporary folder inside `dir`. */
export function httpFiles(dir: string): string {
  return `
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;`;
}

/** The documented forward-auth config (docs/gateway.md), pointed at test ports. */
function forwardAuthConfig(dir: string, port: number, gateway: string, upstream: string): string {
  const verify = (name: string, query: string) => `
    location = ${name} {
      internal;
      proxy_pass ${gateway}/verify${query};
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Original-Method $request_method;
    }`;
  const protectedLocation = (path: string, check: string) => `
    location ${path} {${authRequestDirectives(check)}
      proxy_pass ${upstream};
    }`;
  return `
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 128; }
http {${httpFiles(dir)}
  server {
    listen 127.0.0.1:${port};
    ${protectedLocation('/', '/_gatehouse_verify')}
    ${protectedLocation('/admin/', '/_gatehouse_verify_auditor')}
    ${verify('/_gatehouse_verify', '')}
    ${verify('/_gatehouse_verify_auditor', '?role=auditor')}
  }
}
`;
}

/** An nginx config for a temporary folder and listen port, in front of a gateway and an upstream. */
export type NginxConfig = (dir: string, port: number, gateway: string, upstream: string) => string;

/** Runs nginx in the foreground with a config (the documented one by default) in a fresh temporary folder. */
export async function startNginx(
  gateway: string,
  upstream: string,
  config: NginxConfig = forwardAuthConfig,
): Promise<TestNginx & { pid: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-nginx-'));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  await writeFile(conf, config(dir, port, gateway, upstream));
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-e', join(dir, 'error.log'), '-c', conf, '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise((r) => child.once('exit', r));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
      await fetch(url);
      return true;
    },
    10_000,
    `nginx on ${port}`,
  );
  return {
    url,
    pid: child.pid ?? 0,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGQUIT');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
