#!/usr/bin/env bash
# Registrations per second on one hot talk (64 HTTP clients, the Go benchmark
# BenchmarkRegistrationsHotTalk) against pgbench's one-row insert with 64
# clients on the same PostgreSQL, alternating, RUNS times each. Two shapes of
# registration request: "keyed" is the web app's (an Idempotency-Key on every
# POST), "unkeyed" an API client's without one. Prints each run, the medians
# and their ratios to pgbench (the goal is at least 1/3 for both).
# Needs HUBTALKS_TEST_DATABASE_URL (a role that may create databases) on a
# durable server: against fsync=off (the fast test cluster) pgbench's
# commits cost nothing and the comparison says nothing about production.
# `scripts/pg.sh start DIR` starts one with fsync on.
set -euo pipefail
runs=${RUNS:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
admin=${HUBTALKS_TEST_DATABASE_URL:?set HUBTALKS_TEST_DATABASE_URL}
db="hubtalks_pgbench_$$"
if [ "$(psql "$admin" -Atc 'SHOW fsync')" != on ]; then
  echo "bench-registrations: the server runs with fsync off; point HUBTALKS_TEST_DATABASE_URL at a durable one (scripts/pg.sh start DIR)" >&2
  exit 2
fi
work=$(mktemp -d)
psql "$admin" -qc "CREATE DATABASE $db" >/dev/null
trap 'psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null; rm -rf "$work"' EXIT
dsn=${admin%%\?*}; dsn="${dsn%/*}/$db?${admin#*\?}"
psql "$dsn" -qc "CREATE TABLE bench_rows (id bigserial PRIMARY KEY, talk_id bigint NOT NULL, user_id bigint NOT NULL)"
echo 'INSERT INTO bench_rows (talk_id, user_id) VALUES (1, :client_id);' > "$work/insert.sql"
cd "$root"
go test -c -o "$work/registrations.test" ./server/registrations/ >/dev/null
shapes="unkeyed keyed"
for i in $(seq 1 "$runs"); do
  pgbench "$dsn" -n -c 64 -j 2 -T 10 -f "$work/insert.sql" 2>/dev/null \
    | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | tee -a "$work/pgbench" | sed 's/^/pgbench tps /'
  for shape in $shapes; do
    "$work/registrations.test" -test.run '^$' -test.bench "RegistrationsHotTalk\$/^$shape\$" -test.benchtime 8000x 2>/dev/null \
      | grep -o '[0-9.]* regs/s' | cut -d' ' -f1 | tee -a "$work/$shape" | sed "s/^/$shape regs\/s /"
  done
done
median() { sort -g "$1" | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
p=$(median "$work/pgbench")
printf 'median: pgbench %.0f tps\n' "$p"
for shape in $shapes; do
  awk -v p="$p" -v h="$(median "$work/$shape")" -v s="$shape" \
    'BEGIN {printf "median: %-7s %.0f regs/s, ratio to pgbench %.2f\n", s, h, h / p}'
done
