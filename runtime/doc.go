// Package runtime executes a planned job on one machine: it owns subtasks,
// their mailboxes, the network stack between them, and their part in
// checkpoints. It calls connectors through the contract package connector
// declares (Source, SourceReader, Sink, SinkWriter and their optional
// interfaces), so that a connector never imports the runtime.
//
// Subtasks. Each parallel instance of a vertex (a chain of operators joined
// by forward edges) is one goroutine. Records, checkpoint triggers,
// completion notices and (later) timers are all handled on that goroutine,
// so operator code and its state are never touched concurrently (Flink's
// mailbox model). Blocking I/O lives at the edges: a source's Fetch runs on
// a fetcher goroutine the subtask owns and joins; the asynchronous part of
// a snapshot runs on goroutines the subtask joins before it returns.
//
// Exchange. Between tasks, records are serialized with their codec and
// framed (uvarint length, bytes; a record may span buffers) into buffers of
// taskmanager.memory.segment-size bytes from a fixed pool per output. A
// partly filled buffer is sent after execution.buffer-timeout.interval. Each
// input channel grants taskmanager.network.memory.buffers-per-channel
// credits; a producer sends a buffer only with a credit and gets it back
// when the consumer has processed the buffer, so a slow consumer blocks its
// producers instead of letting queues grow, and memory stays bounded by the
// pools. Events (checkpoint barriers, end of partition) travel in order with
// the buffers and need no credit. Between task managers (processes or
// machines), Network carries the same buffers, credits and events over one
// TCP connection per pair of task managers and attempt (net.go); a
// DataServer accepts them and fences out attempts it does not run.
//
// Checkpoints. The job manager (package cluster) steps the checkpoint
// coordinator and tells a Job what to do through its methods:
// TriggerCheckpoint reaches every subtask's mailbox (sources emit the
// barrier, subtasks whose input has ended acknowledge with their final
// state), barriers are aligned per input (see aligner), the synchronous
// part of a snapshot runs on the subtask goroutine and the files are
// written asynchronously, acknowledgements go back through Acks, and
// NotifyCheckpointComplete reaches CheckpointListeners (sinks commit). A
// bounded job's sinks commit their final output only after CommitFinal
// (with checkpoints: once the final checkpoint is complete); from then on
// nothing fails the job.
//
// Errors. A failing operator fails its subtask with a TaskError naming the
// operator, the subtask and the cause; the first failure cancels the job and
// Run returns it. Panics in user code are recovered into errors.
package runtime
