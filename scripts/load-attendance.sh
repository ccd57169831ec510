#!/usr/bin/env bash
# Measures what attendance costs the database: one `hubtalks serve` on a
# private PostgreSQL (with pg_stat_statements), a live talk, N signed-in
# viewers (each its own account) in its live room for M minutes, connected
# by cmd/hubtalks-load. Prints the database writes per second over the hold:
# attendance's own statements and rows (pg_stat_statements,
# pg_stat_user_tables) and every write statement of the server
# (pg_stat_statements) and commit (pg_stat_database). Loopback only.
#   scripts/load-attendance.sh [viewers=10000] [minutes=10]
set -euo pipefail
viewers=${1:-10000} minutes=${2:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/hubtalks-attendance.XXXXXX); chmod 755 "$tmp"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  "$root/scripts/pg.sh" stop "$tmp/pg" || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

(cd "$root" && go build -o "$tmp/hubtalks" ./cmd/hubtalks && go build -o "$tmp/hubtalks-load" ./cmd/hubtalks-load)
admin=$(PG_PORT=${PG_PORT:-$(( 30000 + RANDOM % 20000 ))} PG_OPTIONS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all" \
  "$root/scripts/pg.sh" start "$tmp/pg")
psql "$admin" -qc "CREATE DATABASE hubtalks" >/dev/null
export DATABASE_URL=${admin/\/postgres\?/\/hubtalks?}
psql "$DATABASE_URL" -qc "CREATE EXTENSION pg_stat_statements" >/dev/null
port=$(( 20000 + RANDOM % 20000 ))
export PORT=$port BASE_URL=http://127.0.0.1:$port LOG_LEVEL=${LOG_LEVEL:-warn}
export LIVE_SOCKETS_PER_ADDRESS=${LIVE_SOCKETS_PER_ADDRESS:-1000000}
"$tmp/hubtalks" migrate 2>/dev/null
"$tmp/hubtalks" users create --email load@example.org --password 'load test password' --role admin >/dev/null
# The viewers: accounts and sessions made in SQL (a session token is stored
# as its SHA-256), their tokens in a file for the load tool.
psql "$DATABASE_URL" -qAt >"$tmp/tokens" <<SQL
WITH u AS (
  INSERT INTO users (email, display_name, password_hash, role, email_verified_at)
  SELECT 'viewer' || i || '@load.test', 'Viewer ' || i, 'no password: signs in by session only', 'participant', now()
  FROM generate_series(1, $viewers) AS i
  RETURNING id),
s AS (
  INSERT INTO sessions (user_id, token_hash, expires_at)
  SELECT id, sha256(convert_to('load-viewer-' || id, 'UTF8')), now() + interval '1 day' FROM u
  RETURNING user_id)
SELECT 'load-viewer-' || user_id FROM s;
SQL
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
"$tmp/hubtalks" serve 2>"$tmp/serve.log" & server=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
token=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d '{"email":"load@example.org","password":"load test password"}' | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
talk=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/talks" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"title":"Attendance load talk","starts_at":"2030-01-01T10:00:00Z","ends_at":"2030-01-01T11:00:00Z","status":"scheduled"}' \
  | sed -n 's/^{"id":\([0-9]*\).*/\1/p')
curl -fs -X POST "http://127.0.0.1:$port/api/v1/talks/$talk/status" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"status":"live"}' >/dev/null
echo "server pid $server on :$port, live talk $talk; $viewers signed-in viewers for $minutes minutes" >&2

stats() {
  psql "$DATABASE_URL" -qAt -F' ' -c "SELECT
    (SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query ~* '^\s*INSERT INTO (attendance|talk_viewers)'),
    (SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables WHERE relname IN ('attendance', 'talk_viewers')),
    (SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query ~* '^\s*(WITH .*)?(INSERT|UPDATE|DELETE)'),
    (SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables),
    (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database())"
}
"$tmp/hubtalks-load" -url "http://127.0.0.1:$port" -talk "$talk" -subscribers "$viewers" -viewer-tokens "$tmp/tokens" \
  -questions 0 -hold "${minutes}m" -settle 1s -max-duration "$(( minutes + 10 ))m" -server-pid "$server" >"$tmp/load.out" 2>"$tmp/load.err" &
load=$!
# The window starts once every viewer is in the room.
until grep -q 'holding for' "$tmp/load.err" 2>/dev/null; do
  kill -0 "$load" 2>/dev/null || { cat "$tmp/load.err" >&2; exit 1; }
  sleep 1
done
read -r a0 ar0 w0 wr0 c0 < <(stats); t0=$(date +%s)
wait "$load"
read -r a1 ar1 w1 wr1 c1 < <(stats); t1=$(date +%s)
secs=$(( t1 - t0 ))
cat "$tmp/load.out"
psql "$DATABASE_URL" -qAt -F' ' -c "SELECT 'attendance rows', count(*), 'median minutes', percentile_disc(0.5) WITHIN GROUP (ORDER BY cardinality(minutes)) FROM attendance WHERE talk_id = $talk"
awk -v s="$secs" -v a="$((a1 - a0))" -v ar="$((ar1 - ar0))" -v w="$((w1 - w0))" -v wr="$((wr1 - wr0))" -v c="$((c1 - c0))" 'BEGIN {
  printf "window %d s\n", s
  printf "attendance write statements: %d (%.3f/s)\n", a, a / s
  printf "attendance rows written:     %d (%.1f/s)\n", ar, ar / s
  printf "all write statements:        %d (%.3f/s)\n", w, w / s
  printf "all rows written:            %d (%.1f/s)\n", wr, wr / s
  printf "commits:                     %d (%.2f/s)\n", c, c / s
}'
