#!/bin/sh
# Starts one sentinel. Its configuration file is rewritten by Sentinel itself,
# so it lives on an emptyDir and is made here: monitoring the primary the
# other sentinels name, or redis-0 on the group's very first start.
set -eu
master=""
for i in 0 1 2; do
  [ "redis-sentinel-$i" = "$POD_NAME" ] && continue
  master=$(timeout 3 redis-cli -h "redis-sentinel-$i.redis-sentinel-headless" -p 26379 --raw \
    SENTINEL get-master-addr-by-name gatehouse 2>/dev/null | head -n 1) || master=""
  [ -n "$master" ] && break
done
[ -n "$master" ] || master="redis-0.redis-headless"
cat > /sentinel/sentinel.conf <<CONF
port 26379
dir /sentinel
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip ${POD_NAME}.redis-sentinel-headless
sentinel monitor gatehouse ${master} 6379 2
sentinel down-after-milliseconds gatehouse 5000
sentinel failover-timeout gatehouse 60000
sentinel parallel-syncs gatehouse 1
CONF
exec redis-server /sentinel/sentinel.conf --sentinel
