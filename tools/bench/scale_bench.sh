#!/usr/bin/env bash
# Scaling benchmark (issue 7, docs/benchmarks.md): end-to-end ingest
# throughput with 1 and with 2 ingest processes against the same three synced
# storage shards, and query throughput with 1 and with 2 query processes, all
# started by `zhibiao up` as local processes on loopback and driven through
# gRPC by zhibiao-load (which balances over the replicas round robin).
#   ingest: IngestService.Ingest of sample-sized reports (variants of
#           tests/data/xinxiang-2021.txt, 14.5 KB, 73 figures), closed loop
#   query:  QueryService.Rank (top 10 of one metric and year) and
#           Aggregate of one metric by year, closed loop, over a generated
#           corpus of about 100,000 indicators
# Usage: tools/bench/scale_bench.sh [--seconds=S] [--concurrency=C]
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=15
concurrency=64
for arg in "$@"; do
  case "$arg" in
    --seconds=*) seconds=${arg#*=} ;;
    --concurrency=*) concurrency=${arg#*=} ;;
    *) echo "unknown argument $arg" >&2; exit 2 ;;
  esac
done

TARGETS="zhibiao zhibiao-storage zhibiao-ingest zhibiao-query zhibiao-load zhibiao-gencorpus" \
  tools/dev/build.sh >/dev/null
bin=$PWD/build/bin
work=$(mktemp -d /tmp/zhibiao-scale-bench.XXXXXX)
up_pid=
stop_suite() {
  if [ -n "$up_pid" ]; then
    kill -TERM "$up_pid" 2>/dev/null || true
    wait "$up_pid" 2>/dev/null || true
    up_pid=
  fi
}
trap 'stop_suite; rm -rf "$work"' EXIT

# start_suite DATA_DIR INGEST QUERY: zhibiao up with 3 shards; sources run/env.
start_suite() {
  rm -f "$1/run/env" "$1"/run/*.log
  # Every call gets its rpc log line (by default only failed and slow ones
  # do), so each replica's log shows how many calls round robin gave it.
  ZHIBIAO_SLOW_CALL_MS=0 "$bin/zhibiao" up --storage-shards=3 --ingest="$2" --query="$3" --base_port=0 --data_dir="$1" \
    >"$work/up.log" 2>&1 &
  up_pid=$!
  for _ in $(seq 1 300); do [ -s "$1/run/env" ] && break; sleep 0.2; done
  set -a; . "$1/run/env"; set +a
  for _ in $(seq 1 100); do "$bin/zhibiao" health >/dev/null 2>&1 && break; sleep 0.2; done
}

# CPU seconds each process of the suite used so far, and the calls each
# replica's log shows (what round robin gave it).
cpu_report() {
  local tick name pid
  tick=$(getconf CLK_TCK)
  while IFS='=' read -r name pid; do
    case "$name" in ZHIBIAO_PID_*) ;; *) continue ;; esac
    [ -r "/proc/$pid/stat" ] || continue
    name=${name#ZHIBIAO_PID_}
    awk -v n="$name" -v t="$tick" '{printf "    %-10s cpu %.1fs\n", tolower(n), ($14 + $15) / t}' \
      "/proc/$pid/stat"
  done < "$1/run/env"
  for log in "$1"/run/ingest*.log "$1"/run/query*.log; do
    [ -f "$log" ] || continue
    echo "    $(basename "$log" .log): $(grep -c '"event":"rpc"' "$log") calls logged"
  done
}

throughput() { sed -n 's/.* \([0-9.]*\) calls\/s$/\1/p'; }
p99() { sed -n 's/.*p99=\([0-9.]*\).*/\1/p'; }

declare -A result
echo "== ingest: sample-sized reports, 3 synced storage shards, $concurrency in flight, ${seconds}s"
for n in 1 2; do
  start_suite "$work/ingest-$n" "$n" 1
  out=$("$bin/zhibiao-load" --rpc=ingest --target="$ZHIBIAO_INGEST_ADDR" --concurrency="$concurrency" \
        --duration_s="$seconds" --channels=4 --timeout_ms=60000)
  echo "$out" | sed "s/^/  [ingest x$n] /"
  result[ingest$n]="$(echo "$out" | throughput) reports/s, p99 $(echo "$out" | p99) ms"
  cpu_report "$work/ingest-$n"
  stop_suite
done

echo "== query: generated corpus, 3 shards, 32 in flight, ${seconds}s"
"$bin/zhibiao-gencorpus" --out="$work/corpus" --regions=1000 --years=8 --first_year=2015 --only_text \
  >/dev/null
for n in 1 2; do
  start_suite "$work/query-data" 1 "$n"
  if [ "$n" = 1 ]; then
    "$bin/zhibiao-load" --rpc=ingest --target="$ZHIBIAO_INGEST_ADDR" --corpus_dir="$work/corpus" \
      --concurrency=32 --timeout_ms=60000 | sed "s/^/  [load corpus] /"
  fi
  for rpc in rank aggregate_metric; do
    out=$("$bin/zhibiao-load" --rpc=$rpc --target="$ZHIBIAO_QUERY_ADDR" --concurrency=32 \
          --duration_s="$seconds" --channels=4 --metric=enforcement.cases --year=2020)
    echo "$out" | sed "s/^/  [$rpc x$n] /"
    result[$rpc$n]="$(echo "$out" | throughput) calls/s, p99 $(echo "$out" | p99) ms"
  done
  cpu_report "$work/query-data"
  stop_suite
done

echo
printf "%-34s %-32s %-32s\n" "" "1 process" "2 processes"
printf "%-34s %-32s %-32s\n" "ingest (Ingest, sample reports)" "${result[ingest1]}" "${result[ingest2]}"
printf "%-34s %-32s %-32s\n" "query (Rank top 10)" "${result[rank1]}" "${result[rank2]}"
printf "%-34s %-32s %-32s\n" "query (Aggregate one metric)" "${result[aggregate_metric1]}" \
  "${result[aggregate_metric2]}"
echo "(all processes, the load tool included, share this machine's $(nproc) cores)"
