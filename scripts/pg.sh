#!/usr/bin/env bash
# A private PostgreSQL cluster, reachable only over a Unix socket in its own
# directory. Runs as the postgres user when invoked as root (initdb refuses root).
#   scripts/pg.sh start DIR   # init if needed, start; prints the admin DSN
#   scripts/pg.sh stop DIR
# The port is explicit on both sides (PG_PORT, default 5432): it names the
# socket file in DIR, and a client left to its default (Debian's psql
# follows the system's cluster, 5433 when another server holds 5432) would
# look for another one. No TCP: another server on the port is no conflict.
set -euo pipefail
cmd=$1 dir=$2
port=${PG_PORT:-5432}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "scripts/pg.sh: PostgreSQL is not installed (run scripts/deps.sh)" >&2; exit 1; }

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then setpriv --reuid=postgres --regid=postgres --init-groups "$@"; else "$@"; fi
}

case "$cmd" in
start)
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  if ! as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
      -o "-p $port -c listen_addresses='' -k $dir -c max_connections=300 -c shared_buffers=256MB -c fsync=${PG_FSYNC:-on} ${PG_EXTRA_OPTS:-}" start >/dev/null \
      || { tail -n 20 "$dir/postgres.log" >&2; exit 1; }
  fi
  echo "postgres://postgres@/postgres?host=$dir&port=$port&sslmode=disable"
  ;;
stop)
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  ;;
*) echo "usage: scripts/pg.sh start|stop DIR" >&2; exit 2 ;;
esac
