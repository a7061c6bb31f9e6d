#!/usr/bin/env bash
# chaos.sh: the long form of Weir's chaos tests (docs/reliability.md).
#
#   scripts/chaos.sh [ROUNDS]    run every TestChaos* test of cmd/weir with
#                                -chaos.rounds=ROUNDS (default 10) and print
#                                one line per test: tried, survived, lost,
#                                duplicated
#
# The short form (one round each) runs inside ./scripts/test.sh. This script
# starts the same local S3-compatible server as test.sh (for the storage
# outage test) and stops it on exit. It exits non-zero if any test lost or
# duplicated a record or did not survive.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-10}
B=${WEIR_TEST_DIR:-$PWD/.testenv}
mkdir -p "$B/bin"
export PATH="$B/bin:$PATH"
art=$(mktemp -d /tmp/weir-chaos.XXXXXX)
export WEIR_ARTIFACTS="$art"
cleanup() { scripts/s3-server.sh stop "$B" >/dev/null 2>&1 || true; }
trap cleanup EXIT
eval "$(scripts/s3-server.sh start "$B")"

status=0
go test -race -count=1 -timeout 60m -run 'TestChaos' ./cmd/weir -args -chaos.rounds="$rounds" >"$art/go-test.log" 2>&1 || status=$?
echo "chaos tests, $rounds round(s) each ($(nproc) cores, $(date -u +%Y-%m-%d)):"
if [ -f "$art/chaos.txt" ]; then
  sort "$art/chaos.txt"
else
  echo "no chaos line was written" >&2
fi
if [ "$status" -ne 0 ]; then
  echo "FAILED: see $art/go-test.log" >&2
  grep -E '^(---|===|FAIL|panic)|_test.go:[0-9]+:' "$art/go-test.log" | head -40 >&2
  exit "$status"
fi
echo "all survived; log: $art/go-test.log"
