#!/usr/bin/env bash
# Installs the dependencies, builds zhibiao with its tests and runs them all.
# This is the README's test command and what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/dev/install_deps.sh
BUILD_DIR=${BUILD_DIR:-build} tools/dev/build.sh -DZB_BUILD_TESTS=ON ${ZB_CMAKE_ARGS:-}
cd "${BUILD_DIR:-build}"
ctest -j "${JOBS:-$(nproc)}" --output-on-failure --timeout 600
