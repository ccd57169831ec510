#!/usr/bin/env bash
# Registrations per second on one hot talk (64 HTTP clients, the Go benchmark
# BenchmarkRegistrationsHotTalk) against pgbench's one-row insert with 64
# clients on the same PostgreSQL, alternating, RUNS times each.
# Needs HUBTALKS_TEST_DATABASE_URL (a role that may create databases).
set -euo pipefail
runs=${RUNS:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
admin=${HUBTALKS_TEST_DATABASE_URL:?set HUBTALKS_TEST_DATABASE_URL}
db="hubtalks_pgbench_$$"
psql "$admin" -qc "CREATE DATABASE $db" >/dev/null
trap 'psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT
dsn=${admin%%\?*}; dsn="${dsn%/*}/$db?${admin#*\?}"
psql "$dsn" -qc "CREATE TABLE bench_rows (id bigserial PRIMARY KEY, talk_id bigint NOT NULL, user_id bigint NOT NULL)"
script=$(mktemp); echo 'INSERT INTO bench_rows (talk_id, user_id) VALUES (1, :client_id);' > "$script"
cd "$root"
go test -c -o /tmp/registrations.test ./server/registrations/ >/dev/null
for i in $(seq 1 "$runs"); do
  pgbench "$dsn" -n -c 64 -j 2 -T 10 -f "$script" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/pgbench tps \1/p'
  /tmp/registrations.test -test.run '^$' -test.bench 'RegistrationsHotTalk$' -test.benchtime 8000x 2>/dev/null | grep -o '[0-9.]* regs/s' | sed 's/^/hubtalks /'
done
rm -f "$script"
