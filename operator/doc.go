// Package operator owns the contract between operators and the runtime
// that runs them: Output (where an operator's records and watermarks go),
// Operator (its lifecycle), Context (what an operator instance knows of
// the subtask it runs in: key groups, restored state, timers, side
// outputs, the hooks it registers), Watermark and RecordContext (event
// time), ProcessingTimeService (timers on the subtask's goroutine), and
// the snapshot types a stateful operator returns from a checkpoint and
// starts from after a restore (OperatorSnapshot, OperatorRestore).
//
// It also owns what is generic in the record type, so that the runtime
// stays free of it and the API never needs the runtime: TypeOf (the typed
// writers, decoders and fan-outs the runtime wires a task with, over its
// non-generic RecordChannels and frame reader), NodeImpl (how a graph node
// builds its operator), and the source and sink operators (SourceNode,
// SinkNode: a source's fetcher goroutine, its position in checkpoints, its
// per-split watermarks; a sink's two-phase commit), which drive a subtask
// through Input.
//
// The runtime implements the calling side (package runtime imports this
// one, never the reverse); the API in the root package builds graphs of
// NodeImpls against this contract. The operators behind the API's
// windows, joins, keyed process functions and watermark assigners still
// live in the root package, next to the public types their functions see.
package operator
