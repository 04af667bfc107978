import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { ensureConsoleBuilt } from '@gatehouse/console';
import { ASSERTION_JWKS_PATH } from '@gatehouse/contracts';
import { describeRedisTarget } from '@gatehouse/runtime';
import { startDemoUpstream } from './demo-upstream.js';
import { startEmbeddedPostgres } from './postgres.js';
import { startLocalRedis } from './redis.js';
import {
  AUTH_BEHIND_GATEWAY_ENV,
  runCli,
  type StackService,
  startStackService,
  stopStackServices,
} from './services.js';

const STATE = '.gatehouse';
const env = process.env;
const ports = {
  gateway: Number(env.GATEWAY_PORT ?? 8080),
  auth: Number(env.AUTH_PORT ?? 8081),
  audit: Number(env.AUDIT_PORT ?? 8082),
  demo: Number(env.DEMO_UPSTREAM_PORT ?? 8090),
};
const services: StackService[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

async function shutdown(code: number): Promise<never> {
  await stopStackServices(services.reverse());
  for (const cleanup of cleanups.reverse()) await cleanup();
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

function stopProcess(child: ChildProcess) {
  return () => {
    child.kill('SIGTERM');
  };
}

async function main() {
  // With REDIS_SENTINELS the services and the CLI inherit the Sentinel variables and find the primary themselves.
  const sentinels = env.REDIS_SENTINELS;
  let redisUrl = env.REDIS_URL ?? 'redis://';
  if (!env.REDIS_URL && !sentinels) {
    const redis = await startLocalRedis(`${STATE}/redis`);
    cleanups.push(stopProcess(redis.process));
    redisUrl = redis.url;
  }
  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    const pg = await startEmbeddedPostgres(`${STATE}/pglite`);
    cleanups.push(pg.stop);
    databaseUrl = pg.url;
  }
  const common = {
    REDIS_URL: redisUrl,
    DATABASE_URL: databaseUrl,
    LOG_FORMAT: env.LOG_FORMAT ?? 'pretty',
    LOG_LEVEL: env.LOG_LEVEL ?? 'info',
    HOST: env.HOST ?? '127.0.0.1',
  };
  const gatewayJwks = `http://127.0.0.1:${ports.gateway}${ASSERTION_JWKS_PATH}`;
  services.push(
    await startStackService('auth', ports.auth, {
      ...common,
      ...AUTH_BEHIND_GATEWAY_ENV,
      JWT_GENERATE_KEY: 'true',
      JWT_PRIVATE_KEY_FILE: `${STATE}/keys/jwt-signing.pem`,
      MFA_GENERATE_KEY: 'true',
      MFA_KEY_FILE: `${STATE}/keys/mfa-secrets.key`,
    }),
  );
  const password = randomBytes(9).toString('base64url');
  const cliEnv = { REDIS_URL: redisUrl, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' };
  const added = await runCli(['users', 'add', 'demo', '--role', 'user', '--role', 'auditor'], cliEnv, `${password}\n`);
  if (added === 2) await runCli(['users', 'set-password', 'demo'], cliEnv, `${password}\n`);
  else if (added !== 0) throw new Error(`creating the demo user failed (exit code ${added})`);
  services.push(
    await startStackService('audit', ports.audit, {
      ...common,
      AUDIT_GENERATE_KEY: 'true',
      AUDIT_DIGEST_KEY_FILE: `${STATE}/keys/audit-digest.pem`,
      AUDIT_GATEWAY_JWKS_URL: gatewayJwks,
    }),
  );
  // The gateway serves packages/console/dist/web under /console/: build it when missing or stale.
  if (await ensureConsoleBuilt()) console.log('built the audit console (packages/console/dist/web)');
  let upstreams = env.UPSTREAMS;
  if (!upstreams) {
    const demo = await startDemoUpstream({ port: ports.demo, jwksUrl: gatewayJwks });
    cleanups.push(demo.close);
    upstreams = `/api/demo=http://127.0.0.1:${ports.demo}`;
  }
  services.push(
    await startStackService('gateway', ports.gateway, {
      ...common,
      AUTH_URL: `http://127.0.0.1:${ports.auth}`,
      AUDIT_URL: `http://127.0.0.1:${ports.audit}`,
      UPSTREAMS: upstreams,
      ASSERTION_GENERATE_KEY: 'true',
      ASSERTION_KEY_FILE: `${STATE}/keys/gateway-assertion.pem`,
    }),
  );
  printBanner(redisUrl, databaseUrl, password);
}

function printBanner(redisUrl: string, databaseUrl: string, password: string) {
  const gw = `http://localhost:${ports.gateway}`;
  const redisPort = env.REDIS_SENTINELS ? '<primary port>' : new URL(redisUrl).port || '6379';
  const target = describeRedisTarget({
    url: redisUrl,
    sentinels: env.REDIS_SENTINELS ?? '',
    sentinelName: env.REDIS_SENTINEL_NAME || 'gatehouse',
  });
  const redisLine = env.REDIS_SENTINELS ? target : `${target}   (redis-cli -p ${redisPort})`;
  console.log(`
Gatehouse is running.
  gateway  ${gw}   (OpenAPI: ${gw}/docs, console: ${gw}/console/)
  auth     http://localhost:${ports.auth}   audit http://localhost:${ports.audit}
  redis    ${redisLine}
  database ${databaseUrl.replace(/:[^:@/]+@/, ':***@')}
  demo user: demo / ${password}   (roles: user, auditor)

Try it:
  TOKEN=$(curl -s ${gw}/auth/login -H 'content-type: application/json' \\
    -d '{"username":"demo","password":"${password}"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).accessToken')
  curl -s ${gw}/api/demo/hello -H "authorization: Bearer $TOKEN"
  curl -s -i http://localhost:${ports.demo}/hello -H 'x-user-id: admin'    # 401: no gateway assertion
  curl -s ${gw}/auth/session -H "authorization: Bearer $TOKEN"
  redis-cli -p ${redisPort} --scan --pattern 'session:*'
  redis-cli -p ${redisPort} XRANGE auth-events - +
  curl -s "${gw}/audit/events?limit=5" -H "authorization: Bearer $TOKEN"
  curl -s -X POST ${gw}/auth/logout -H "authorization: Bearer $TOKEN"
  curl -s -i ${gw}/api/demo/hello -H "authorization: Bearer $TOKEN"    # 401 now

Ctrl-C stops everything this command started.
`);
}

main().catch(async (err: Error) => {
  console.error(`npm start failed: ${err.message}`);
  await shutdown(1);
});
