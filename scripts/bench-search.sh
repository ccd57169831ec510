#!/usr/bin/env bash
# Search latency at the scale of a long series: fills a fresh database with
# 2,000 talks in three languages, 1,000,000 questions with answers, 20,000
# threads and 1,000,000 posts (scripts/bench-search.sql), then runs 1,000 realistic
# searches through the search's own SQL (BenchmarkSearchLatency in
# server/search) RUNS times, printing p50/p95/p99 of the latency and of the
# server's CPU time per search (what a quiet machine would see: the machine
# may be shared), the plan of the slowest (EXPLAIN ANALYZE, BUFFERS) and the
# index sizes. The goal is p95 <= 50 ms.
# Needs HUBTALKS_TEST_DATABASE_URL (a superuser: the load goes around the
# triggers) on a durable server, e.g. `PG_PORT=5599 scripts/pg.sh start DIR`
# without PG_FSYNC=off. KEEP=1 keeps the database (hubtalks_bench_search)
# for another run, which then skips the load.
set -euo pipefail
runs=${RUNS:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
admin=${HUBTALKS_TEST_DATABASE_URL:?set HUBTALKS_TEST_DATABASE_URL}
db=hubtalks_bench_search
if [ "$(psql "$admin" -Atc 'SHOW fsync')" != on ]; then
  echo "bench-search: the server runs with fsync off; point HUBTALKS_TEST_DATABASE_URL at a durable one (scripts/pg.sh start DIR)" >&2
  exit 2
fi
dsn=${admin%%\?*}; dsn="${dsn%/*}/$db?${admin#*\?}"
[ "${KEEP:-}" = 1 ] || trap 'psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT
cd "$root"
if [ "$(psql "$admin" -Atc "SELECT count(*) FROM pg_database WHERE datname = '$db'")" = 0 ]; then
  psql "$admin" -qc "CREATE DATABASE $db"
  DATABASE_URL="$dsn" go run ./cmd/hubtalks migrate >/dev/null
  echo "loading (several minutes)…"
  start=$(date +%s)
  psql "$dsn" -q -f scripts/bench-search.sql
  echo "loaded in $(( $(date +%s) - start )) s"
  # The bulk load wrote the vectors itself: they must be what the triggers write.
  bad=$(psql "$dsn" -Atc "SELECT count(*) FROM (SELECT q.* FROM questions q TABLESAMPLE SYSTEM (0.1)) q JOIN talks k ON k.id = q.talk_id
    WHERE q.search_tsv <> search_question_tsv(search_config(k.language), q.id, q.body)")
  [ "$bad" = 0 ] || { echo "bench-search: $bad sampled questions differ from what the triggers write" >&2; exit 1; }
  bad=$(psql "$dsn" -Atc "SELECT count(*) FROM threads t JOIN talks k ON k.id = t.talk_id
    WHERE t.search_tsv <> search_thread_tsv(search_config(k.language), t.title, t.body)")
  [ "$bad" = 0 ] || { echo "bench-search: $bad threads differ from what the triggers write" >&2; exit 1; }
fi
psql "$dsn" -Atc "SELECT 'rows: ' || (SELECT count(*) FROM talks) || ' talks, ' || (SELECT count(*) FROM questions) || ' questions, '
  || (SELECT count(*) FROM answers) || ' answers, ' || (SELECT count(*) FROM posts) || ' posts; database ' || pg_size_pretty(pg_database_size(current_database()))"
HUBTALKS_BENCH_SEARCH_URL="$dsn" go test -run '^$' -bench '^BenchmarkSearchLatency$' -benchtime 1x -count "$runs" ./server/search/
