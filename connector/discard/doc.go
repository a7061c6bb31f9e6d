// Package discard is a sink that drops every record and counts them, for
// benchmarks and for jobs run for their side effects.
//
// Each writer counts in its own padded atomic counter (no contention between
// subtasks); Count sums them. The count includes every record written,
// including records replayed after a restore: the sink itself has no
// delivery guarantee to keep.
package discard
