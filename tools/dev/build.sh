#!/usr/bin/env bash
# Configures and builds zhibiao (Release by default) into ./build.
#   tools/dev/build.sh [extra cmake arguments...]
# Environment: BUILD_DIR (default build), BUILD_TYPE (default Release),
# JOBS (default nproc), TARGETS (default: everything).
set -euo pipefail
cd "$(dirname "$0")/../.."
build_dir=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}
# ccache hits across clones and folders: hash paths relative to the checkout.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(pwd)}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" "$@"
if [ -n "${TARGETS:-}" ]; then
  # shellcheck disable=SC2086
  cmake --build "$build_dir" -j "$jobs" --target $TARGETS
else
  cmake --build "$build_dir" -j "$jobs"
fi
