// Package connector holds what all Weir connectors share; the connectors
// themselves live in its subpackages:
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
// source. Its token bucket is per subtask (the rate of the whole source
// divided by the parallelism); it throttles through the capacity it passes
// to the inner reader's Fetch and by sleeping, interruptibly, until enough
// tokens are available. Positions pass through unchanged, so a rate-limited
// source keeps the delivery guarantees of the source it wraps.
package connector
