// Package file reads and writes lines of text files.
//
// # Source
//
// NewSource(path) reads the lines of one file, or of every regular file
// directly inside a directory (not recursively), sorted by name; names
// starting with "." or "_" are skipped, as Flink's FileInputFormat does, so
// the hidden in-progress and pending files of a Sink writing to the same
// directory are never read. Lines end at "\n"; a trailing "\r" is
// stripped; the last line of a file needs no "\n". The input is bounded: a
// reader returns io.EOF after its last file.
//
// Splits are whole files: on a fresh start subtask i of p reads, in name
// order, the files whose index in the sorted listing is i modulo p. The
// listing is taken when the reader is created; files added later are not
// read.
//
// Delivery: exactly-once for the records (each line is read once between
// checkpoints and resumed at the exact byte offset after a restore),
// provided the files are not rewritten while the job runs. A file may grow:
// lines appended before the reader reaches its end are read, and a restore
// reads on to the file's new end. A file that is not what the reader read
// is refused loudly (ErrInputChanged, not restarted), never read as
// nothing:
//
//   - on a restore, the file is checked against the position's fingerprint:
//     it must be at least as long as the resume offset, its first bytes
//     (up to 64 KiB, as many as it had when first opened) must have the
//     same CRC-32C, and so must the bytes of the last line read before the
//     offset (up to 4 KiB). A truncated, replaced, rewritten or removed
//     file fails the reader with one line naming the file, the offset and
//     what changed. Changing only the modification time is fine; a rewrite
//     that keeps the first 64 KiB and the line before the offset is not
//     noticed;
//   - at the end of each file the reader checks that the file is not
//     shorter than what it read and that its first bytes are unchanged, so
//     a file truncated or rewritten while being read fails the reader
//     instead of ending it early.
//
// A line longer than the maximum record size (WithMaxRecordSize; the
// option source.max-record-size, 64 MiB by default) fails the reader with
// the file, the line's offset and its length (connector.ErrRecordTooLarge),
// not restarted, since a restart would read the same line. The reader
// holds at most one read buffer (256 KiB) more than that in memory.
//
// The reader implements connector.SplitFetcher: for per-split watermarks
// (weir.FromSourceWithWatermarks) each file is a split, named by its path,
// that finishes after its last line. A reader reads its files one after
// another, so at most one of its splits holds event time back at a time: a
// file's records older than the watermark its predecessors reached are late,
// as with one generator per subtask.
//
// # Source position
//
// A position has one entry per file assigned to the reader (finished files
// included), each encoded as
//
//	byte     version (2)
//	byte     flags (bit 0: the file is finished)
//	uvarint  byte offset of the next line to read
//	uvarint  length of the path, then the path bytes
//	uvarint  head length h, then 4 bytes (big-endian): CRC-32C (Castagnoli)
//	         of the file's first h bytes
//	uvarint  tail length t, then 4 bytes: CRC-32C of the t bytes before
//	         the offset
//
// A length of 0 means nothing to check. Version 1 entries, written before
// the fingerprint, end after the path; they are still restored, with only
// the check that the file is long enough.
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
// missing) and publishes them with a two-phase commit driven by checkpoints,
// as Flink's FileSink does with its OnCheckpointRollingPolicy: the writers
// implement connector.CheckpointedSinkWriter and the Sink implements
// connector.RecoverableSink. A dir belongs to one job: Recover deletes the
// hidden part files of every subtask in it.
//
// Part file n of subtask s has three names, all relative to dir:
//
//	.part-<s>-<n>.inprogress   being written
//	.part-<s>-<n>.pending      sealed: flushed, fsynced, closed; waits for a commit
//	part-<s>-<n>               published
//
// The source skips names starting with ".", so only published files are
// read back. The counter n starts after the highest counter of subtask s in
// dir under any of the three names, so a new attempt never reuses a name.
//
// The writer seals its in-progress file when it reaches the roll size
// (WithRollSize, default 128 MiB; a longer record gets a file of its own),
// at each checkpoint and at the end of the input; a new in-progress file is
// opened at the next record.
//
//   - Flush(false) flushes the write buffer to the in-progress file.
//   - Flush(true) (end of input) seals the in-progress file (an empty one is
//     removed); it publishes nothing.
//   - PrepareCommit(id) seals the in-progress file if it holds any bytes,
//     tags the files sealed since the last call with id, appends them to
//     the subtask's commit log (fsynced, and dir too), and returns the
//     writer's history entry followed by one committable per pending file
//     not published yet: those just tagged and those of earlier
//     checkpoints whose completion the writer has not heard of. So the
//     committables of any checkpoint publish all output before it, even
//     when earlier notifications were lost.
//   - NotifyCheckpointComplete(id) renames every pending file tagged with
//     an id <= id to its final name, then fsyncs dir once. It is idempotent
//     (a file already at its final name and gone from its pending name
//     counts as published) and works after Close, which matters for
//     connector.FinalCheckpoint, committed only when the whole job finished.
//     A file found under neither name is an error: its records are lost.
//   - Close removes the in-progress file and the files sealed since the
//     last PrepareCommit (no checkpoint refers to them) and leaves the
//     pending files handed out by PrepareCommit: they may belong to a
//     completed checkpoint.
//   - RecoverFrom(info, committables) (Recover for a runtime that gives no
//     RestoreInfo) runs once per job attempt, before any writer: it
//     creates dir if missing, publishes every committable given
//     (idempotently, also from its retracted name, then fsyncs dir), takes
//     back and republishes part files as described under "Taking back
//     output", and deletes every other ".part-<s>-<n>.inprogress" and
//     ".part-<s>-<n>.pending" file in dir, of any subtask: leftovers of
//     failed attempts. Other files are left alone. A committed file found
//     under none of its names fails Recover with an error naming it, and
//     then nothing is deleted. A start without a checkpoint (Recover(nil),
//     or info.Checkpoint 0) deletes all those leftovers, and the
//     ".part-<s>-<n>.retracted" files too.
//
// # Taking back output
//
// A job may restore a checkpoint older than the newest one that committed
// output: Weir falls back past damaged checkpoints, and a user may pass an
// older checkpoint's path to --from-checkpoint. The sources then replay
// from the older checkpoint, so the output the newer checkpoints committed
// would appear twice. The sink prevents that: after RecoverFrom, the
// published part files are exactly those the restored checkpoint had
// committed (plus those of other jobs' runs in dir). Part files that newer
// checkpoints committed are renamed to ".part-<s>-<n>.retracted" (taken
// back, hidden from readers); restoring, later, a checkpoint that covers
// them (the newer one, still intact, chosen by path) publishes them again.
// So whichever checkpoint a run restores, and however often a restore is
// interrupted and repeated, the directory ends as that checkpoint left it.
// Part files a reader already consumed and removed are not taken back;
// files already read cannot be unread, so a downstream reader that
// consumes files while they appear sees the newer output once before it is
// taken back.
//
// How: every attempt (each RecoverFrom) gets a random epoch. Each writer
// appends, for every part file it seals for checkpoint id, a line
// "<root> <epoch> <id> <final name>" to its commit log ".part-<s>.commits"
// and fsyncs it before the checkpoint can complete; root is the epoch of
// the attempt that started without a checkpoint (the lineage). Each
// writer's committables start with the history of the checkpoint: the
// epochs of the attempts it descends from, each with, per subtask, the
// newest tag that belongs to it. RecoverFrom publishes a file of the
// restored lineage exactly when the history covers its commit log entry
// (or the committables name it), and hides it otherwise; entries of other
// lineages are left alone. A history entry is encoded as
//
//	byte     version (2)
//	uvarint  number of steps, then per step: 8 bytes epoch, uvarint
//	         number of limits, then per limit uvarint subtask, uvarint tag
//
// Delivery: exactly-once with checkpoints. Published files hold exactly the
// records written before the restored checkpoint (the last completed one,
// or an older one when the newer are damaged or the user names it: see
// "Taking back output"); the records after it are replayed by the restored
// sources and written again under new names. A bounded job without checkpoints is all-or-nothing: its files are
// published by the commit of connector.FinalCheckpoint, which happens only
// when the whole job has finished, so a failed job publishes nothing. The
// sink relies on the runtime driving this contract; a runtime that only
// calls Write, Flush and Close publishes nothing.
//
// # Sink committable
//
// A committable names one pending part file (the history entry described
// above is the other kind):
//
//	byte     version (1)
//	uvarint  length of the hidden name, then its bytes (".part-0-3.pending")
//	uvarint  length of the final name, then its bytes ("part-0-3")
//
// Both names are relative to the sink dir (Recover refuses names that would
// leave it), so a checkpoint stays valid when dir is mounted elsewhere.
//
// Records containing "\n" are written as is and read back as several lines.
//
// # Sink on S3
//
// NewS3Sink(s3://bucket/prefix?options) writes the same part files,
// "<prefix>/part-<s>-<n>", to S3 with the same two-phase contract, as
// Flink's S3 recoverable writer does (flink-s3-fs-base,
// S3RecoverableWriter): each part file is one multipart upload, and
// nothing is visible under its name until the upload is completed, which
// happens only when the checkpoint that covers it completes. The URL
// takes checkpoint storage's options (internal/objstore: region,
// endpoint, use_path_style, ...); Check refuses a bad one before the job
// starts.
//
// A part smaller than S3's 5 MiB minimum can only be an upload's last
// part, so a checkpoint cannot upload the bytes written since the last
// one as a part and keep the file open. Flink solves that by keeping the
// small tail as a separate object and re-reading it on recovery; Weir
// instead rolls the part file at every checkpoint, as the local sink
// already does (Flink's OnCheckpointRollingPolicy): the writer buffers a
// part file's bytes in memory, uploads a part whenever 5 MiB are buffered,
// and at PrepareCommit (or end of input, or the roll size) uploads the
// rest as the last part, however small. The upload is then sealed: all
// parts up, not completed. That keeps recovery to completing or aborting
// whole uploads, with no tail object to manage, at the cost of one
// object per subtask and checkpoint, like the local sink; memory is at
// most 5 MiB plus a record per writer.
//
//   - PrepareCommit(id) seals the part file if it holds bytes and returns
//     one committable per sealed upload not completed yet (earlier
//     checkpoints' too, so any checkpoint's committables complete all
//     output before it).
//   - NotifyCheckpointComplete(id) completes the uploads prepared up to
//     id. Completing is idempotent: an upload that is gone while its
//     object is there with the recorded size counts as completed; one gone
//     without its object is an error (its records are lost).
//   - Close aborts the upload being written and those sealed since the
//     last PrepareCommit; prepared ones stay for the notification or the
//     next attempt.
//   - Recover(committables) completes the restored checkpoint's uploads
//     and then aborts every other multipart upload of a part file under
//     the prefix: the in-progress and sealed files of failed attempts. A
//     prefix belongs to one job, as a directory does.
//
// The S3 sink does not take back output (it is not a
// connector.RetractingSink): restoring a checkpoint older than the newest
// that committed leaves the newer checkpoints' objects, and the run ends
// with exit code 3 saying output may repeat. An S3 committable is encoded
// as
//
//	byte     version (3)
//	uvarint  length of the object key, then its bytes
//	uvarint  length of the upload ID, then its bytes
//	uvarint  number of parts, then per part: uvarint part number, uvarint
//	         size, uvarint length and bytes of the ETag, uvarint length and
//	         bytes of the CRC32 checksum (base64; empty when not sent)
//
// The source does not read s3:// yet: NewSource refuses it.
package file
