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
// The operators themselves live here too: Map, Filter, FlatMap, the
// running fold (Reduce, Sum), the window operator with its assigners and
// triggers, the keyed function operators (Process, CoProcess) and their
// timers, the interval join and the timestamp and watermark assigner. Each
// takes the user's functions as closures and its parameters as plain
// values (WindowSpec, KeyedFuncs, SourceWatermarks), so that none of them
// sees the API's types: the API in the root package keeps its public types
// (WindowAssigner, Trigger, Context, the function interfaces) and adapts
// them. The few types both sides share as they are (TimeWindow,
// TimeDomain, WatermarkGenerator) are declared here and named again by
// the API.
//
// The runtime implements the calling side (package runtime imports this
// one, never the reverse).
package operator
