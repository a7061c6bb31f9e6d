// Package connector owns the contract between the runtime and the
// connectors, and what all connectors share; the connectors themselves live
// in its subpackages.
//
// The contract: a Source creates one SourceReader per subtask, which
// fetches batches of records with their position (optionally by split,
// SplitFetcher, and from a known start, StartPositioner; Identifier names
// what it reads, for the restore check). A Sink creates one SinkWriter per
// subtask; a CheckpointedSinkWriter publishes in step with checkpoints
// (two-phase commit), a RecoverableSink publishes what a restored
// checkpoint prepared, and a RetractingSink also takes back what newer
// checkpoints committed. The runtime implements the calling side; this
// package and its subpackages never import the runtime, so a connector
// pulls in neither the runtime nor its state backends.
//
// The connectors:
//
//   - socket: TCP text source (not parallel, not replayable);
//   - file: line source over a file or directory (exactly-once, resumable
//     at byte offsets) and a part-file sink (publishes at end of input);
//   - datagen: deterministic generated records and word lines;
//   - print: stdout sink with Flink's "N> " prefixes;
//   - discard: counting sink that drops records;
//   - collect: in-memory sink for tests.
//
// This package itself provides RateLimit, a wrapper that throttles any
// source. Its subtasks share one token bucket, so the rate is the source's
// total and a subtask with nothing to read leaves its share to the others;
// it throttles through the capacity it passes to the inner reader's Fetch
// and by sleeping, interruptibly, until enough tokens are available. Positions pass through unchanged, so a rate-limited
// source keeps the delivery guarantees of the source it wraps.
package connector
