#!/usr/bin/env bash
# The checks a change should pass before it is committed, as CI runs the
# first of them:
#   format      every tracked .cc/.h file is laid out as .clang-format says
#               (fix with: git ls-files '*.cc' '*.h' | xargs clang-format -i)
#   tidy        clang-tidy (.clang-tidy's focused set) on the .cc files changed
#               since BASE, with ./build/compile_commands.json
#   duplicates  `duplicates --change --base BASE`, when the tool is installed
#               (a list to read, not a verdict)
# Usage: tools/dev/check.sh [--format-only] [BASE]   (BASE: default HEAD)
set -euo pipefail
cd "$(dirname "$0")/../.."
format_only=0
if [ "${1:-}" = "--format-only" ]; then format_only=1; shift; fi
base=${1:-HEAD}

echo "check: format"
if ! git ls-files '*.cc' '*.h' | xargs clang-format --style=file --dry-run -Werror; then
  echo "check: files above are not formatted; run: git ls-files '*.cc' '*.h' | xargs clang-format -i" >&2
  exit 1
fi
[ "$format_only" = 1 ] && exit 0

changed=$( (git diff --name-only --diff-filter=d "$base" -- '*.cc'; git ls-files --others --exclude-standard -- '*.cc') | sort -u)
if [ -n "$changed" ]; then
  if [ ! -f build/compile_commands.json ]; then
    echo "check: tidy needs build/compile_commands.json: run tools/dev/build.sh first" >&2
    exit 1
  fi
  echo "check: tidy on $(echo "$changed" | wc -l) changed files"
  # shellcheck disable=SC2086
  clang-tidy -p build --quiet $changed
else
  echo "check: tidy: no .cc file changed since $base"
fi

if command -v duplicates > /dev/null; then
  echo "check: duplicates since $base"
  duplicates --change --base "$base"
fi
echo "check: done"
