#!/usr/bin/env bash
# `make run`: the app with a demo on a private PostgreSQL under .data/ (unless
# DATABASE_URL is set) and the in-process broker (unless REDIS_URL is set).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/bin/hubtalks"
pgdir=""

if [ -z "${DATABASE_URL:-}" ]; then
  pgdir="$root/.data/pg"
  mkdir -p "$root/.data"
  # The postgres user must reach the directory, and a Unix socket path is
  # limited to ~100 bytes; otherwise keep the cluster under /var/tmp.
  if [ ${#pgdir} -gt 80 ] || { [ "$(id -u)" -eq 0 ] && ! setpriv --reuid=postgres --regid=postgres --init-groups test -x "$root/.data"; }; then
    pgdir="/var/tmp/hubtalks-$(echo "$root" | sha1sum | cut -c1-12)/pg"
    echo "run: keeping PostgreSQL data in $pgdir (the postgres user cannot use $root/.data)" >&2
    mkdir -p "$(dirname "$pgdir")"; chmod 755 "$(dirname "$pgdir")"
  fi
  admin=$("$root/scripts/pg.sh" start "$pgdir")
  trap '"$root/scripts/pg.sh" stop "$pgdir"' EXIT
  psql "$admin" -tAc "SELECT 1 FROM pg_database WHERE datname = 'hubtalks'" | grep -q 1 \
    || psql "$admin" -qc "CREATE DATABASE hubtalks" >/dev/null
  DATABASE_URL=${admin/\/postgres\?/\/hubtalks?}
  export DATABASE_URL
fi

export PORT=${PORT:-3000}
# No SMTP server in the demo: the log shows whole messages (verification and
# reset links included), which a real deployment never prints.
export MAIL_LOG_BODIES=${MAIL_LOG_BODIES:-1}
# A browser may open the demo as localhost or 127.0.0.1: both may use the live socket.
export ALLOWED_ORIGINS=${ALLOWED_ORIGINS:-http://127.0.0.1:$PORT}
"$bin" migrate
"$bin" seed
echo
echo "Hub Talks is starting on ${BASE_URL:-http://localhost:$PORT}  (Ctrl-C stops it)"
echo
"$bin" serve
