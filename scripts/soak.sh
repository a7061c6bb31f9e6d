#!/usr/bin/env bash
# Soaks the randomized failure tests under load (issue 11 item 5):
#
#   scripts/soak.sh [RUNS] [COPIES]
#
# builds the -race test binaries once, then runs RUNS runs, COPIES at a
# time in parallel (the load is the point: restores under CPU pressure),
# taking the tests in turn:
#
#   TestQueriesExactlyOnceUnderFailures          (examples/nexmark)
#   TestWindowJobsExactlyOnceUnderRandomFailures (weir)
#   TestExactlyOnceUnderRandomFailures           (weir)
#
# A run is one test binary running one of them once (-test.count=1).
# Passing runs' logs are deleted; failing ones are kept in the soak
# directory ($SOAK_DIR, or a new one under $TMPDIR) and listed. The last
# line is "N passed, N failed"; the exit status is 1 when any run failed.
# Defaults: 200 runs, 3 copies.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-200}
copies=${2:-3}
case "$runs$copies" in
  *[!0-9]*) echo "usage: scripts/soak.sh [RUNS] [COPIES] (both whole numbers)" >&2; exit 2 ;;
esac
if [ "$runs" -lt 1 ] || [ "$copies" -lt 1 ]; then
  echo "usage: scripts/soak.sh [RUNS] [COPIES] (both at least 1)" >&2
  exit 2
fi

dir=${SOAK_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/weir-soak.XXXXXX")}
mkdir -p "$dir"
echo "soak: building the test binaries in $dir"
go test -race -c -o "$dir/weir.test" .
go test -race -c -o "$dir/nexmark.test" ./examples/nexmark/

tests=(
  "nexmark.test TestQueriesExactlyOnceUnderFailures"
  "weir.test TestWindowJobsExactlyOnceUnderRandomFailures"
  "weir.test TestExactlyOnceUnderRandomFailures"
)

# run_one I BIN PATTERN runs run I; a passing run's log is deleted.
run_one() {
  local i=$1 bin=$2 pat=$3 log
  log="$dir/run-$i-$pat.log"
  if (cd "$dir" && TMPDIR="$dir" "./$bin" -test.run "^$pat\$" -test.count=1 -test.v -test.timeout=10m >"$log" 2>&1); then
    rm -f "$log"
    echo "pass $i $pat"
  else
    echo "FAIL $i $pat: $log"
  fi
}
export -f run_one
export dir

results="$dir/results"
for ((i = 0; i < runs; i++)); do
  echo "$i ${tests[$((i % ${#tests[@]}))]}"
done | xargs -P "$copies" -L 1 bash -c 'run_one "$@"' _ | tee "$results"

passed=$(grep -c '^pass ' "$results" || true)
failed=$(grep -c '^FAIL ' "$results" || true)
if [ "$failed" -gt 0 ]; then
  echo "soak: failing logs:"
  ls "$dir"/run-*.log 2>/dev/null | sed 's/^/  /'
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
