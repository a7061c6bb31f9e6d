#!/usr/bin/env bash
# Runs every Nexmark query at parallelism 1 and 2 with checkpoints every
# 10 s on the heap backend and prints one JSON report per run (weir bench
# nexmark --json), for docs/benchmarks.md and its chart:
#
#   ./scripts/nexmark-bench.sh > nexmark-results.jsonl
#   go run ./examples/nexmark/chart < nexmark-results.jsonl > docs/nexmark-chart.svg
#
# EVENTS_FAST (q0-q3, q8) and EVENTS_SLOW (q4, q5, q7) set the event counts,
# so that every run lasts well over one checkpoint interval; RUNS repeats
# each run; BACKEND (heap or pebble) picks the state backend and QUERIES
# the queries.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS_FAST=${EVENTS_FAST:-60000000}
EVENTS_SLOW=${EVENTS_SLOW:-20000000}
RUNS=${RUNS:-1}
BACKEND=${BACKEND:-heap}
QUERIES=${QUERIES:-q0 q1 q2 q3 q4 q5 q7 q8}
bin=$(mktemp -d)/weir
go build -o "$bin" ./cmd/weir
ckpt=$(mktemp -d)
trap 'rm -rf "$ckpt" "$(dirname "$bin")"' EXIT
for run in $(seq "$RUNS"); do
  for q in $QUERIES; do
    n=$EVENTS_FAST
    case $q in q4|q5|q7) n=$EVENTS_SLOW ;; esac
    for p in 1 2; do
      "$bin" bench nexmark --query "$q" --events "$n" -p "$p" --json --no-web --log-level warn \
        -D execution.checkpointing.interval=10s -D state.backend.type="$BACKEND" \
        -D execution.checkpointing.dir="$ckpt"
    done
  done
done
