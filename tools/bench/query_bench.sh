#!/usr/bin/env bash
# Query benchmark (docs/benchmarks.md): generates a corpus of about 1,000,000
# indicators (tools/corpus), starts the suite with three storage shards as
# local processes, ingests the corpus through ingest (synced storage), then
# drives the query service with zhibiao-load and prints, for each query:
#   aggregate        Aggregate grouped by region over every indicator
#   aggregate_metric Aggregate of one metric grouped by year
#   rank             Rank of regions for one metric and year (top 10)
#   timeseries       TimeSeries of one metric for one region (regions in turn)
# the median over sequential blocking calls (through the suite's query on
# TCP, a second query process on a Unix socket, and a third without its
# result cache), then Rank and TimeSeries at 1,000 calls/s and Rank's
# maximum throughput (cached and not), and the peak RSS of every process.
#
# --compare-postgres also loads the identical indicators (`zhibiao admin
# export`) into a local PostgreSQL 15 (Debian's package; a temporary cluster
# on a Unix socket, indexed for these queries, with the revised-report rule
# materialised as a column) and prints the median of the equivalent SQL,
# timed by psql over the Unix socket and over TCP loopback, beside each
# zhibiao figure.
#
# Usage: tools/bench/query_bench.sh [--compare-postgres] [--regions=N --years=M]
set -euo pipefail
cd "$(dirname "$0")/../.."

compare_postgres=false
regions=2200
years=38
for arg in "$@"; do
  case "$arg" in
    --compare-postgres) compare_postgres=true ;;
    --regions=*) regions=${arg#*=} ;;
    --years=*) years=${arg#*=} ;;
    *) echo "unknown argument $arg" >&2; exit 2 ;;
  esac
done

TARGETS="zhibiao zhibiao-storage zhibiao-ingest zhibiao-query zhibiao-load zhibiao-gencorpus" \
  tools/dev/build.sh >/dev/null
bin=$PWD/build/bin
work=$(mktemp -d /tmp/zhibiao-query-bench.XXXXXX)
chmod 755 "$work"
pg_ctl=/usr/lib/postgresql/15/bin/pg_ctl
cleanup() {
  for pid in ${extra_pids:-}; do kill -TERM "$pid" 2>/dev/null || true; done
  [ -n "${up_pid:-}" ] && { kill -TERM "$up_pid" 2>/dev/null || true; wait "$up_pid" 2>/dev/null || true; }
  if [ -d "$work/pg" ]; then su postgres -c "$pg_ctl -D $work/pg -m fast stop" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== corpus: $regions regions × $years years"
"$bin/zhibiao-gencorpus" --out="$work/corpus" --regions="$regions" --years="$years" --first_year=1986 \
  --only_text --revision_share=0.05

"$bin/zhibiao" up --data_dir="$work/data" --storage_shards=3 --base_port=17400 >/dev/null &
up_pid=$!
for _ in $(seq 1 300); do
  [ -s "$work/data/run/env" ] && break
  sleep 0.2
done
set -a; . "$work/data/run/env"; set +a
for _ in $(seq 1 100); do "$bin/zhibiao" health >/dev/null 2>&1 && break; sleep 0.2; done

echo "== ingest (3 synced storage shards, 32 in flight)"
"$bin/zhibiao-load" --rpc=ingest --target="$ZHIBIAO_INGEST_ADDR" --corpus_dir="$work/corpus" \
  --concurrency=32 --timeout_ms=60000
indicators=$("$bin/zhibiao" admin stats | sed -n 's/.*"index_entries":"\{0,1\}\([0-9]*\).*/\1/p' |
             awk '{s += $1} END {print s}')
echo "index entries over the shards: $indicators"

# Queries are measured on a settled database: wait until no shard is
# compacting what the ingestion wrote (background compaction competes for
# the same two cores and would be charged to the queries).
for _ in $(seq 1 600); do
  busy=$("$bin/zhibiao" admin stats | grep -c -E '"running_compactions":"?[1-9]|"compaction_pending":true' || true)
  [ "$busy" = 0 ] && break
  sleep 1
done
echo "compactions settled"

regions_list=$(awk -F'\t' '!/^#/ && !seen[$2]++ {print $2}' "$work/corpus/truth.tsv" | awk 'NR <= 200' | paste -sd,)
one_region=${regions_list%%,*}
metric=enforcement.cases
year=2020

median_ms() {  # zhibiao-load output -> p50
  sed -n 's/^latency ms: p50=\([0-9.]*\).*/\1/p'
}

# Two more query processes over the same shards, for comparison: one that
# also listens on a Unix socket (PostgreSQL is measured on one), one
# without its result cache (every call crosses to storage).
"$bin/zhibiao-query" --storage="$ZHIBIAO_STORAGE_ADDR" --listen=127.0.0.1:0 \
  --port_file="$work/query-unix.port" --unix_socket="$work/query.sock" 2>"$work/query-unix.log" &
extra_pids="$!"
"$bin/zhibiao-query" --storage="$ZHIBIAO_STORAGE_ADDR" --listen=127.0.0.1:0 \
  --port_file="$work/query-nocache.port" --result_cache_mb=0 2>"$work/query-nocache.log" &
extra_pids="$extra_pids $!"
for _ in $(seq 1 100); do
  [ -s "$work/query-unix.port" ] && [ -s "$work/query-nocache.port" ] && [ -S "$work/query.sock" ] && break
  sleep 0.2
done
sleep 2  # leases granted
declare -A target=(
  [tcp]="$ZHIBIAO_QUERY_ADDR"
  [unix]="unix:$work/query.sock"
  [uncached]="127.0.0.1:$(cat "$work/query-nocache.port")")
declare -A zb
echo; echo "== zhibiao through gRPC: sequential blocking calls (median), like psql's"
echo "   tcp: the suite's query on TCP loopback (result cache on, the default)"
echo "   unix: a query process on a Unix socket (cache on)   uncached: --result_cache_mb=0, TCP"
for via in tcp unix uncached; do
  for rpc in aggregate aggregate_metric rank timeseries; do
    duration=5; [ "$rpc" = aggregate ] && duration=15
    out=$("$bin/zhibiao-load" --blocking --rpc=$rpc --target="${target[$via]}" --concurrency=1 \
          --duration_s=$duration --metric=$metric --year=$year --region_codes="$regions_list" \
          --timeout_ms=30000)
    echo "$out" | sed "s/^/  [$rpc $via] /"
    zb[$rpc,$via]=$(echo "$out" | median_ms)
  done
done

echo; echo "== the floor: one bare gRPC call (grpc.health.v1 Check on query), sequential blocking"
for via in tcp unix; do
  "$bin/zhibiao-load" --blocking --rpc=health --target="${target[$via]}" --concurrency=1 --duration_s=5 \
    | sed "s/^/  [health $via] /"
done

echo; echo "== Rank and TimeSeries at 1,000 calls/s (open loop, 20 s)"
for via in tcp uncached; do
  for rpc in rank timeseries; do
    "$bin/zhibiao-load" --rpc=$rpc --target="${target[$via]}" --rate=1000 --concurrency=64 --duration_s=20 \
      --metric=$metric --year=$year --region_codes="$regions_list" | sed "s/^/  [$rpc $via] /"
  done
done
echo; echo "== Rank, maximum sustained throughput (closed loop, 32 in flight, 20 s)"
for via in tcp uncached; do
  "$bin/zhibiao-load" --rpc=rank --target="${target[$via]}" --concurrency=32 --duration_s=20 \
    --metric=$metric --year=$year | sed "s/^/  [rank $via] /"
done

echo; echo "== peak RSS (VmHWM)"
for name in storage query ingest; do
  for pid in $(pgrep -x "zhibiao-$name" || true); do
    echo "  zhibiao-$name pid $pid: $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$pid/status)"
  done
done

if $compare_postgres; then
  echo; echo "== PostgreSQL 15 with the identical indicators"
  if [ ! -x "$pg_ctl" ]; then
    apt-get update >/dev/null && apt-get install -y postgresql-15 >/dev/null
  fi
  "$bin/zhibiao" admin export > "$work/indicators.tsv"
  chmod 644 "$work/indicators.tsv"
  echo "exported $(($(wc -l < "$work/indicators.tsv") - 1)) indicators"
  mkdir -p "$work/pg" && chown postgres "$work/pg"
  su postgres -c "/usr/lib/postgresql/15/bin/initdb -D $work/pg -A trust -E UTF8 --locale=C.UTF-8" >/dev/null
  # A Unix socket (what the comparison is defined on) and TCP loopback.
  pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  su postgres -c "$pg_ctl -D $work/pg -l $work/pg/log -w -o \"-k $work/pg -p $pg_port -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c work_mem=64MB\" start" >/dev/null
  psql="psql -h $work/pg -p $pg_port -U postgres -d postgres -v ON_ERROR_STOP=1 -q"
  psql_tcp="psql -h 127.0.0.1 -p $pg_port -U postgres -d postgres -v ON_ERROR_STOP=1 -q"
  su postgres -c "$psql" <<SQL
CREATE TABLE indicators (
  metric text, year int, region text, province text, report_id text, seq int,
  value double precision, low double precision, high double precision, qualifier text,
  change text, is_target bool, unit text, unit_kind text, published date, ingested_at_ms bigint);
\copy indicators FROM '$work/indicators.tsv' WITH (FORMAT text, HEADER true)
-- The revised-report rule, materialised once: of several reports for a
-- region, year, metric and kind of figure, only the latest published counts.
ALTER TABLE indicators ADD COLUMN current bool;
UPDATE indicators i SET current = r.rk = 1 FROM (
  SELECT report_id, seq, rank() OVER (
    PARTITION BY region, year, metric,
      CASE WHEN is_target THEN 2 WHEN change IN ('CHANGE_INCREASE', 'CHANGE_DECREASE') THEN 1 ELSE 0 END
    ORDER BY published DESC NULLS LAST, ingested_at_ms DESC, report_id DESC) AS rk
  FROM indicators) r
WHERE i.report_id = r.report_id AND i.seq = r.seq;
UPDATE indicators SET current = true WHERE region = '000000' OR year = 0;
CREATE INDEX ON indicators (metric, year, region) WHERE current;
CREATE INDEX ON indicators (metric, region, year) WHERE current;
VACUUM ANALYZE indicators;
SQL
  declare -A sql
  sql[aggregate]="SELECT region, unit, count(*), sum(value), min(value), max(value), avg(value) FROM indicators WHERE current GROUP BY region, unit;"
  sql[aggregate_metric]="SELECT year, unit, count(*), sum(value), min(value), max(value), avg(value) FROM indicators WHERE current AND metric = '$metric' GROUP BY year, unit;"
  sql[rank]="SELECT region, sum(value) AS v FROM indicators WHERE current AND metric = '$metric' AND year = $year AND change = 'CHANGE_NONE' AND NOT is_target AND region <> '000000' GROUP BY region ORDER BY v DESC, region LIMIT 10;"
  sql[timeseries]="SELECT year, sum(value), count(*) FROM indicators WHERE current AND metric = '$metric' AND region = '$one_region' AND change = 'CHANGE_NONE' AND NOT is_target GROUP BY year ORDER BY year;"
  pg_median() {  # psql command, script -> median of its \timing lines
    su postgres -c "$1 -f $2" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | sort -n |
      awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'
  }
  echo; echo "medians in ms; zhibiao: tcp and unix with the result cache (the default), uncached without"
  printf "%-17s %9s %9s %9s | %14s %14s\n" "query" "zb tcp" "zb unix" "zb uncached" \
    "PG unix socket" "PG tcp"
  for q in aggregate aggregate_metric rank timeseries; do
    script="$work/$q.sql"
    # Enough calls for a stable median: 200 fast ones took 40 ms, and
    # medians of such samples moved between 0.12 and 0.23 ms from run to run.
    case "$q" in aggregate) runs=30 ;; aggregate_metric) runs=200 ;; *) runs=3000 ;; esac
    { echo '\timing on'; echo '\o /dev/null'; for _ in $(seq 1 $runs); do echo "${sql[$q]}"; done; } > "$script"
    chmod 644 "$script"
    pg_unix=$(pg_median "$psql" "$script")
    pg_tcp=$(pg_median "$psql_tcp" "$script")
    printf "%-17s %9s %9s %9s | %14s %14s\n" "$q" "${zb[$q,tcp]}" "${zb[$q,unix]}" "${zb[$q,uncached]}" \
      "$pg_unix" "$pg_tcp"
  done
fi
