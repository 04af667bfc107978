#!/usr/bin/env bash
# Makes sure the programs the tests need exist: the redis-server binary (each
# test file starts its own private server) and a PostgreSQL server on
# 127.0.0.1:5432 (each test file creates its own database). Installs them from
# Debian's packages when missing and this is root; otherwise says what to run.
set -euo pipefail

say() { printf 'ensure-services: %s\n' "$*"; }
apt_updated=0
apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    say "missing $*; install it with: sudo apt-get install -y $*"
    exit 1
  fi
  if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

command -v redis-server >/dev/null || { say "installing redis-server"; apt_install redis-server; }
# nginx: the forward-auth test puts a real nginx auth_request in front of an upstream.
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { say "installing nginx"; apt_install nginx-light || apt_install nginx; }
# pgbouncer: the transaction-pooling test runs the login → audit path through a real pgbouncer.
command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || { say "installing pgbouncer"; apt_install pgbouncer; }
# chromium: the console's end-to-end tests drive it with playwright-core.
command -v chromium >/dev/null || { say "installing chromium"; apt_install chromium; }
# redis-sentinel: the failover test (test/e2e/failover.test.ts) runs three sentinels.
# prometheus: its promtool checks and unit-tests the alerting rules (deploy/test/rules.test.ts).
command -v redis-sentinel >/dev/null || { say "installing redis-sentinel"; apt_install redis-sentinel; }
command -v promtool >/dev/null || { say "installing prometheus (promtool)"; apt_install prometheus; }

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! pg_up; then
  if [ -n "${GATEHOUSE_TEST_PG_URL:-}" ]; then
    say "GATEHOUSE_TEST_PG_URL is set; not starting a local PostgreSQL"
  else
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
      say "installing postgresql"
      apt_install postgresql
      installed_pg=1
    fi
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    say "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 50); do pg_up && break; sleep 0.2; done
    pg_up || { say "PostgreSQL did not start on 127.0.0.1:5432"; exit 1; }
    if [ "${installed_pg:-0}" = 1 ]; then
      # A server we installed gets the password the test default uses (local only).
      su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\""
    fi
  fi
fi
# kubectl with kustomize v5: deploy/test renders deploy/k8s with it (offline, no cluster).
bash "$(dirname "$0")/../deploy/tools/ensure-kubectl.sh" >/dev/null || { say "could not provide kubectl (see deploy/tools/ensure-kubectl.sh)"; exit 1; }
exit 0
