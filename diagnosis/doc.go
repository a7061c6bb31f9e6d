// Package diagnosis explains slow, expired, failed and declined checkpoints
// in plain words: which subtasks were late or never acknowledged, whether
// the time went to the start delay (the barrier stuck behind queued data),
// alignment, or the synchronous or asynchronous part, which vertex causes
// the backpressure, whether one subtask gets far more records than its
// siblings, and what would help. It is a pure function of the checkpoint
// statistics and the job's vertex figures: no I/O, no goroutines.
//
// The rules Explain follows:
//
//   - A completed checkpoint is explained when its end-to-end duration
//     exceeds SlowShare × Interval (a savepoint never is: it is not
//     periodic); an expired, declined or otherwise failed one always; one
//     aborted (subsumed, tasks stopped, shutdown) never, as its cause is not
//     the checkpoint's.
//   - The subtask to look at is the slowest one with figures: for a
//     completed checkpoint the last to acknowledge, for an expired one the
//     slowest that acknowledged after the expiry. Its end-to-end time is
//     split into start delay, alignment, synchronous and asynchronous part
//     (and what none of them accounts for); the largest part is the main
//     cause. A long start delay means backpressure (for a source: the
//     trigger waited for a source blocked on its output); a long
//     asynchronous part with less than 1 MiB of state means slow storage.
//   - Without such a subtask (an expired checkpoint nobody acknowledged
//     late), the most upstream vertex whose subtasks never acknowledged is
//     where the barrier stopped; backpressure is the cause if the vertex
//     figures show it.
//   - The bottleneck, by Flink's rule: the vertex, downstream of a
//     backpressured one (more than 100 ms/s backpressured: Flink's LOW or
//     HIGH), that is not backpressured itself; the busiest if several.
//   - Skew: a subtask whose records in are more than twice its siblings'
//     median and more than 1.5 times the vertex's mean (at least 100
//     records, else records per second, at least 10/s); keys are skewed
//     when the vertex reads a HASH edge. The bottleneck's vertex is looked
//     at first.
//   - Busy, backpressured and idle times all zero mean the figures are not
//     sampled yet (the runtime samples every second): nothing is then said
//     about backpressure.
package diagnosis
