#!/usr/bin/env bash
# Prints why tests of the last ctest run in <build> (default: build) were skipped. ctest shows a
# skipped test only as "***Skipped"; tests/main.cpp prints one `SKIPPED:   "<test case>": <reason>`
# line per skipped test case, which ctest keeps in Testing/Temporary/LastTest.log.
#   tests/support/print_skips.sh <build> [--strict]   --strict: exit 1 when anything was skipped
set -euo pipefail
log="${1:-build}/Testing/Temporary/LastTest.log"
strict=${2:-}
[ -f "$log" ] || exit 0
count=$(awk '/^[0-9]+\/[0-9]+ Test: / { name = $3 }
             /^SKIPPED:   / { sub(/^SKIPPED:   /, ""); print "  skipped in " name ": " $0 > "/dev/stderr"; n++ }
             END { print n + 0 }' "$log")
if [ "$count" -gt 0 ]; then
  echo "$count test case(s) skipped: data or a tool missing (scripts/fetch_data.sh, docs/data.md)" >&2
  [ "$strict" = --strict ] && exit 1
fi
exit 0
