#!/usr/bin/env bash
# The README's first quick-start command: installs the dependencies, builds
# zhibiao, starts the whole suite locally (storage on RocksDB in ./var/zhibiao,
# ingest and query as separate processes on loopback), ingests the bundled
# sample report and prints what query answers and where the dashboard is. On a terminal the suite keeps
# running until Ctrl-C; without one (scripts, CI) it stops after the demo.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/dev/install_deps.sh
TARGETS="zhibiao zhibiao-storage zhibiao-ingest zhibiao-query zhibiao-web" tools/dev/build.sh >/dev/null
echo "== built zhibiao in ./build/bin"

bin=./build/bin
data_dir=${ZHIBIAO_DATA_DIR:-./var/zhibiao}
"$bin/zhibiao" up --data_dir="$data_dir" &
up_pid=$!
stop() { kill -TERM "$up_pid" 2>/dev/null || true; wait "$up_pid" 2>/dev/null || true; }
trap stop EXIT

# Wait until `up` has written the addresses of the suite it started.
for _ in $(seq 1 300); do
  [ -s "$data_dir/run/env" ] && "$bin/zhibiao" health >/dev/null 2>&1 && break
  kill -0 "$up_pid" 2>/dev/null || { echo "zhibiao up failed; see $data_dir/run/*.log" >&2; exit 1; }
  sleep 0.2
done
set -a; . "$data_dir/run/env"; set +a

echo; echo "== zhibiao health"
"$bin/zhibiao" health
echo; echo "== zhibiao ingest tests/data/xinxiang-2021.txt"
"$bin/zhibiao" ingest tests/data/xinxiang-2021.txt
echo; echo "== zhibiao reports list"
"$bin/zhibiao" reports list
echo; echo "== zhibiao query aggregate --region=410700 --year=2021 --split_by_unit   (one row per unit)"
"$bin/zhibiao" query aggregate --region=410700 --year=2021 --split_by_unit
echo; echo "== zhibiao query aggregate --subject=案件 --group_by=subject --split_by_unit"
"$bin/zhibiao" query aggregate --subject=案件 --group_by=subject --split_by_unit
echo; echo "== zhibiao query rank --metric=enforcement.cases --year=2021   (one report: one region)"
"$bin/zhibiao" query rank --metric=enforcement.cases --year=2021
echo; echo "== zhibiao query search 案件"
"$bin/zhibiao" query search 案件 --page_size=3
echo; echo "== the dashboard and the JSON API (zhibiao-web): zhibiao probe ${ZHIBIAO_WEB_URL}healthz"
"$bin/zhibiao" probe "${ZHIBIAO_WEB_URL}healthz"
echo "open ${ZHIBIAO_WEB_URL}#view=reader in a browser (Rank, Trend, Reader, Search);"
echo "POST ${ZHIBIAO_WEB_URL}v1/query/<Method> takes and answers JSON"

if [ -t 0 ]; then
  echo; echo "The suite is running (addresses in $data_dir/run/env). Press Ctrl-C to stop it."
  wait "$up_pid"
fi
