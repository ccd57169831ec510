#!/usr/bin/env bash
# Measures the live hub end to end: one `hubtalks serve` (in-process broker,
# or Redis when REDIS_URL is set) on a private PostgreSQL, N WebSocket
# subscribers on one talk, M questions posted at R per second through the
# HTTP API, reported by cmd/hubtalks-load. Everything stays on loopback.
#   scripts/load-live.sh [subscribers=10000] [questions=200] [rate=4] [runs=1]
# INSTANCES=N (default 1) starts N servers on the same PostgreSQL and Redis
# (REDIS_URL is then required): subscribers and questions are spread over
# them round-robin, so every event crosses the broker to reach most viewers.
# PROCS=N spreads the subscribers over N processes of the load tool (one
# process may not open more than its RLIMIT_NOFILE of sockets: 20,000 in
# some sandboxes); the first one posts, and one report adds them up.
# PG_STATS=1 also prints, after each run, the statements PostgreSQL ran for
# it (pg_stat_statements: calls, total and mean time).
# MODE=poll: instead of questions, that many ballots at that rate on an open
# poll (a fresh poll and fresh guest voters for each run, made in the
# database with their session tokens), measured to their first poll.results:
#   MODE=poll scripts/load-live.sh 10000 2000 100 3
set -euo pipefail
subs=${1:-10000} questions=${2:-200} rate=${3:-4} runs=${4:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/hubtalks-load.XXXXXX); chmod 755 "$tmp"
instances=${INSTANCES:-1}
if [ "$instances" -gt 1 ] && [ -z "${REDIS_URL:-}" ]; then
  echo "scripts/load-live.sh: INSTANCES=$instances needs REDIS_URL (the instances' shared broker)" >&2; exit 2
fi
servers=()
cleanup() {
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  "$root/scripts/pg.sh" stop "$tmp/pg" || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

(cd "$root" && go build -o "$tmp/hubtalks" ./cmd/hubtalks && go build -o "$tmp/hubtalks-load" ./cmd/hubtalks-load)
[ "${PG_STATS:-}" = 1 ] && export PG_OPTIONS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=top"
admin=$("$root/scripts/pg.sh" start "$tmp/pg")
psql "$admin" -qc "CREATE DATABASE hubtalks" >/dev/null
export DATABASE_URL=${admin/\/postgres\?/\/hubtalks?}
port=$(( 20000 + RANDOM % 20000 ))
export BASE_URL=http://127.0.0.1:$port LOG_LEVEL=${LOG_LEVEL:-warn}
# Every simulated viewer connects from 127.0.0.1: lift the per-address cap.
export LIVE_SOCKETS_PER_ADDRESS=${LIVE_SOCKETS_PER_ADDRESS:-1000000}
"$tmp/hubtalks" migrate 2>/dev/null
"$tmp/hubtalks" users create --email load@example.org --password 'load test password' --role admin >/dev/null
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
urls="" pids=""
for i in $(seq 0 $((instances - 1))); do
  # DEBUG_ADDR (pprof) goes to the first instance only.
  debug=""; [ "$i" = 0 ] && debug=${DEBUG_ADDR:-}
  PORT=$((port + i)) DEBUG_ADDR=$debug "$tmp/hubtalks" serve 2>"$tmp/serve$i.log" & servers+=($!)
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$((port + i))/readyz" >/dev/null && break; sleep 0.1; done
  urls+="${urls:+,}http://127.0.0.1:$((port + i))" pids+="${pids:+,}${servers[$i]}"
done
token=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d '{"email":"load@example.org","password":"load test password"}' | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
talk=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/talks" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"title":"Load test talk","starts_at":"2030-01-01T10:00:00Z","ends_at":"2030-01-01T11:00:00Z","status":"scheduled"}' \
  | sed -n 's/^{"id":\([0-9]*\).*/\1/p')
echo "servers $pids on $urls, talk $talk; $subs subscribers, $questions questions at $rate/s" >&2
api() { # method path body
  curl -fs -X "$1" "http://127.0.0.1:$port/api/v1$2" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$3"
}
for run in $(seq 1 "$runs"); do
  echo "--- run $run" >&2
  flags=(${LOAD_FLAGS:-})
  [ "${PROCS:-1}" -gt 1 ] && flags+=(-procs "$PROCS")
  if [ "${MODE:-question}" = poll ]; then
    [ -n "${poll:-}" ] && api PATCH "/polls/$poll" '{"status":"closed"}' >/dev/null
    poll=$(api POST "/talks/$talk/polls" '{"question":"Load test poll","kind":"single","options":["A","B"]}' | sed -n 's/^{"id":\([0-9]*\).*/\1/p')
    api PATCH "/polls/$poll" '{"status":"open"}' >/dev/null
    psql "$DATABASE_URL" -qAt -c "WITH u AS (INSERT INTO users (display_name, role)
        SELECT 'Load voter ' || g, 'guest' FROM generate_series(1, $questions) g RETURNING id)
      INSERT INTO sessions (user_id, token_hash, expires_at)
        SELECT id, sha256(convert_to('loadvoter-$run-' || id, 'UTF8')), now() + interval '1 day' FROM u
      RETURNING 'loadvoter-$run-' || user_id" >"$tmp/voters"
    flags+=(-mode poll -poll "$poll" -ballots "$questions" -voters "$tmp/voters")
  fi
  [ "${PG_STATS:-}" = 1 ] && psql "$DATABASE_URL" -qAtc "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset()" >/dev/null
  "$tmp/hubtalks-load" -url "$urls" -talk "$talk" -token "$token" -subscribers "$subs" \
    -questions "$questions" -rate "$rate" -server-pid "$pids" "${flags[@]}"
  if [ "${PG_STATS:-}" = 1 ]; then
    echo "--- statements of run $run (calls, total ms, mean ms)" >&2
    psql "$DATABASE_URL" -P pager=off -c "SELECT calls, round(total_exec_time::numeric, 1) AS total_ms,
        round(mean_exec_time::numeric, 3) AS mean_ms, left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS query
      FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
      ORDER BY total_exec_time DESC LIMIT 15" >&2
  fi
done
