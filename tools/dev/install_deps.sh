#!/usr/bin/env bash
# Installs every Debian 12 package zhibiao needs to build, test and run.
# Idempotent; needs root (or sudo). Usage: tools/dev/install_deps.sh
set -euo pipefail

packages=(
  build-essential cmake pkg-config ccache git ca-certificates
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev librocksdb-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libicu-dev libgumbo-dev libpoppler-cpp-dev libzip-dev libxml2-dev libssl-dev
  prometheus-cpp-dev libcpp-httplib-dev libxlsxwriter-dev
  clang libclang-rt-14-dev clang-format clang-tidy
  python3-grpcio python3-protobuf python3-pandas python3-pytest python3-openpyxl python3-tqdm
  chromium fonts-wqy-microhei tmux
)
# clang-format and clang-tidy: tools/dev/check.sh (CI checks the layout).
# chromium and its CJK font: the web dashboard's browser tests (tests/web); tmux:
# the CLI's terminal test (a progress line and bars in a real pane).
# The Node client example, ECharts (compiled into zhibiao-web) and the browser
# tests need Node.js 18 or later and npm: the machine's, else Debian's.
command -v node >/dev/null || packages+=(nodejs npm)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install_deps: all ${#packages[@]} packages present"
else
  echo "install_deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm packages exactly as their lock files say: the Node client, the web
# dashboard's ECharts and the browser tests' puppeteer-core (which drives
# Debian's chromium and downloads no browser).
repo_dir="$(cd "$(dirname "$0")/../.." && pwd)"
for node_dir in "$repo_dir/clients/node" "$repo_dir/services/web/ui" "$repo_dir/tests/web"; do
  if [ ! -d "$node_dir/node_modules" ] || [ "$node_dir/package-lock.json" -nt "$node_dir/node_modules" ]; then
    (cd "$node_dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
    touch "$node_dir/node_modules"
  fi
done
