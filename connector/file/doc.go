// Package file reads and writes lines of text files.
//
// # Source
//
// NewSource(path) reads the lines of one file, or of every regular file
// directly inside a directory (not recursively), sorted by name; names
// starting with "." or "_" are skipped, as Flink's FileInputFormat does, so
// the hidden in-progress files of a Sink writing to the same directory are
// never read. Lines end at "\n"; a trailing "\r" is stripped; the last line
// of a file needs no "\n". The input is bounded: a reader returns io.EOF
// after its last file.
//
// Splits are whole files: on a fresh start subtask i of p reads, in name
// order, the files whose index in the sorted listing is i modulo p. The
// listing is taken when the reader is created; files added later are not
// read.
//
// Delivery: exactly-once for the records (each line is read once between
// checkpoints and resumed at the exact byte offset after a restore),
// provided the files do not change while the job runs.
//
// # Source position
//
// A position has one entry per file assigned to the reader (finished files
// included), each encoded as
//
//	byte     version (1)
//	byte     flags (bit 0: the file is finished)
//	uvarint  byte offset of the next line to read
//	uvarint  length of the path, then the path bytes
//
// The path is the file's path as the source lists it (the source path joined
// with the file name). When SourceContext.Restored is non-nil the reader
// ignores the directory listing and resumes exactly the files of its entries,
// at their offsets, in path order, so any subset of entries (after a
// change of parallelism) is valid; a non-nil empty Restored means "nothing to
// read". A malformed entry fails CreateReader with an error saying why.
//
// # Sink
//
// NewSink(dir) writes one record per line to part files in dir (created if
// missing). Subtask s writes ".part-<s>-<n>.inprogress" (hidden) and, when it
// publishes, renames it to "part-<s>-<n>". The counter n starts after the
// highest counter of subtask s already present in dir (finished or in
// progress), so a rerun never overwrites earlier output. When a part file
// reaches the roll size (WithRollSize, default 128 MiB) it is finished:
// flushed, fsynced and closed, and kept, still hidden, in the writer's list
// of pending files.
//
// Flush(false) flushes the write buffer to the in-progress file. Flush(true)
// (end of input) finishes the in-progress file and publishes every pending
// file by renaming it, then fsyncs the directory. Close without a preceding
// Flush(true) removes the in-progress and pending files, so a failed attempt
// publishes nothing. That is exactly-once when a failed job is rerun from
// the start of its input, and publishes nothing for jobs that never reach
// the end of their input. In-progress files left by a process that crashed
// (and so never ran Close) stay in dir, hidden; their counters are skipped.
//
// CAUTION: until the checkpoint commit described below exists, a restore
// from a checkpoint loses the output the failed attempt wrote before that
// checkpoint (Close removed it and the restored sources do not replay it),
// so do not rely on this sink across checkpoint restores.
//
// Toward exactly-once with checkpoints: the pending list is the unit of a
// future two-phase commit, which needs two things the runtime contract does
// not offer yet: writer state in checkpoints and a checkpoint-complete
// notification. A checkpoint-aware writer will, on the pre-snapshot
// Flush(false), finish the in-progress file, move the pending files into a
// per-checkpoint bucket recorded in its state, and rename that bucket's
// files when the runtime reports the checkpoint complete (publishPending
// already takes the list to publish); on restore it renames the pending
// files of the restored checkpoint and deletes the rest. That is not built
// yet.
//
// Records containing "\n" are written as is and read back as several lines.
package file
