// Command chart draws the Nexmark figures of docs/benchmarks.md as an SVG
// bar chart: for each query, Weir's events per second per core at
// parallelism 1 and 2 next to Flink 1.13's published figure, on a
// logarithmic scale. It reads the JSON reports of `weir bench nexmark
// --json` (one per line, as scripts/nexmark-bench.sh prints them) on
// standard input, takes the median of repeated runs, and writes the SVG to
// standard output:
//
//	go run ./examples/nexmark/chart < nexmark-results.jsonl > docs/nexmark-chart.svg
package main
