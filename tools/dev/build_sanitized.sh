#!/usr/bin/env bash
# Configures and builds the clang tree that the sanitizer test run
# (sanitize.sh) and the fuzzers (fuzz.sh) share, in ./build-sanitize:
# RelWithDebInfo, AddressSanitizer + UndefinedBehaviorSanitizer, tests and
# libFuzzer targets, -Werror (so clang's -Wthread-safety analysis fails the
# build). TARGETS as in build.sh (default: everything).
set -euo pipefail
cd "$(dirname "$0")/../.."
CC=clang CXX=clang++ BUILD_DIR=${SANITIZE_BUILD_DIR:-build-sanitize} BUILD_TYPE=RelWithDebInfo \
  tools/dev/build.sh -DZB_BUILD_TESTS=ON -DZB_BUILD_FUZZERS=ON -DZB_BUILD_BENCHMARKS=OFF \
    -DZB_SANITIZE=address,undefined -DZB_WERROR=ON
