// Package operator owns the contract between operators and the runtime
// that runs them: Output (where an operator's records and watermarks go),
// Operator (its lifecycle), Context (what an operator instance knows of
// the subtask it runs in: key groups, restored state, timers, side
// outputs, the hooks it registers), Watermark and RecordContext (event
// time), ProcessingTimeService (timers on the subtask's goroutine), and
// the snapshot types a stateful operator returns from a checkpoint and
// starts from after a restore (OperatorSnapshot, OperatorRestore).
//
// The runtime implements the calling side (package runtime imports this
// one, never the reverse); the API in the root package builds operators
// against this contract. The operators themselves (windows, joins, keyed
// process functions, watermark assigners) still live in the root package
// (issue 20 moves them here next); so do the typed record path's entry
// points (runtime.TypeOf, runtime.SourceNode, runtime.SinkNode), which
// the runtime instantiates per record type.
package operator
