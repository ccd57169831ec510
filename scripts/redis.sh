#!/usr/bin/env bash
# A private Redis on a Unix socket in DIR that keeps nothing on disk.
#   scripts/redis.sh start DIR   # prints its URL
#   scripts/redis.sh stop DIR
set -euo pipefail
cmd=$1 dir=$2
case "$cmd" in
start)
  mkdir -p "$dir"
  if ! redis-cli -s "$dir/redis.sock" ping >/dev/null 2>&1; then
    redis-server --port 0 --unixsocket "$dir/redis.sock" --unixsocketperm 700 --save '' --appendonly no \
      --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" --maxclients 20000
    for _ in $(seq 1 100); do
      redis-cli -s "$dir/redis.sock" ping >/dev/null 2>&1 && break
      sleep 0.05
    done
  fi
  echo "unix://$dir/redis.sock"
  ;;
stop)
  redis-cli -s "$dir/redis.sock" shutdown nosave >/dev/null 2>&1 || true
  ;;
*) echo "usage: scripts/redis.sh start|stop DIR" >&2; exit 2 ;;
esac
