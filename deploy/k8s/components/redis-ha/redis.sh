#!/bin/sh
# Starts one Redis of the group: as a replica of the primary the sentinels
# name, or, when no sentinel answers (the group's very first start), as the
# primary if this is redis-0 and as its replica otherwise.
set -eu
self="${POD_NAME}.redis-headless"
master=""
for i in 0 1 2; do
  master=$(timeout 3 redis-cli -h "redis-sentinel-$i.redis-sentinel-headless" -p 26379 --raw \
    SENTINEL get-master-addr-by-name gatehouse 2>/dev/null | head -n 1) || master=""
  [ -n "$master" ] && break
done
[ -n "$master" ] || master="redis-0.redis-headless"
set -- redis-server /usr/local/etc/redis/redis.conf --replica-announce-ip "$self"
[ "$master" = "$self" ] || set -- "$@" --replicaof "$master" 6379
exec "$@"
