#!/usr/bin/env bash
# Runs a command with a private PostgreSQL and a private Redis started for it
# (unless HUBTALKS_TEST_DATABASE_URL / HUBTALKS_TEST_REDIS_URL are given), and
# stops them afterwards, whatever the command's outcome.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=""
cleanup() {
  if [ -n "$tmp" ]; then
    "$here/pg.sh" stop "$tmp/pg" || true
    "$here/redis.sh" stop "$tmp/redis" || true
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT INT TERM

if [ -z "${HUBTALKS_TEST_DATABASE_URL:-}" ] || [ -z "${HUBTALKS_TEST_REDIS_URL:-}" ]; then
  # A direct child of /tmp, so the postgres user can reach it.
  tmp=$(mktemp -d /tmp/hubtalks-test.XXXXXX)
  chmod 755 "$tmp"
fi
if [ -z "${HUBTALKS_TEST_DATABASE_URL:-}" ]; then
  HUBTALKS_TEST_DATABASE_URL=$(PG_FSYNC=off "$here/pg.sh" start "$tmp/pg")
  export HUBTALKS_TEST_DATABASE_URL
fi
if [ -z "${HUBTALKS_TEST_REDIS_URL:-}" ]; then
  HUBTALKS_TEST_REDIS_URL=$("$here/redis.sh" start "$tmp/redis")
  export HUBTALKS_TEST_REDIS_URL
fi
export HUBTALKS_TEST_REQUIRE_SERVICES=1
echo "test services: postgres $HUBTALKS_TEST_DATABASE_URL, redis $HUBTALKS_TEST_REDIS_URL" >&2
"$@"
