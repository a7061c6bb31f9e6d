// Package print is a sink that writes one line per record to standard
// output (or any io.Writer), like Flink's print() (PrintSinkFunction).
//
// # Format
//
// Each record is formatted with the given function (fmt's %v when nil) and
// written as one line. When the sink runs with a parallelism above 1 each
// line is prefixed with the 1-based subtask number, exactly as Flink does:
// "1> hello,1". WithIdentifier("id") gives Flink's identifier prefix:
// "id:1> " (or "id> " at parallelism 1).
//
// # Buffering
//
// The writers of one Sink share one buffered writer under a mutex, so lines
// of different subtasks never interleave. The buffer is flushed on every
// Flush and Close, when it fills, and by a background flusher every
// 100 ms (WithFlushInterval), so output appears promptly even when the
// runtime seldom calls Flush (no checkpoints, slow unbounded input). The
// flusher goroutine runs while at least one writer of the sink is open and is
// stopped and joined when the last one closes.
//
// # Errors and guarantees
//
// A failed write (say, standard output is a closed pipe) fails the writer
// with "print sink: write /dev/stdout: broken pipe"; the unwritten buffer is
// dropped. Note that a Go program writing to a broken stdout pipe is killed
// by SIGPIPE unless it handles or ignores that signal (os/signal), in which
// case the write returns EPIPE. The sink is at-least-once: records replayed
// after a restore are printed again.
package print
