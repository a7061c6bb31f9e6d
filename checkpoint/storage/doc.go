// Package storage keeps checkpoints: the state files subtasks write and the
// metadata that makes a checkpoint complete, on a local directory, S3 or in
// memory. It owns the Bucket interface it needs of an object store;
// internal/objstore implements it for the three. docs/format.md draws the
// layout and the metadata encoding byte by byte.
//
// Layout under the storage root (one directory per job, named by JobDir):
//
//	<job>/chk-<n>/_metadata   the checkpoint's metadata (written last)
//	<job>/chk-<n>/<name>      state files exclusive to checkpoint n
//	<job>/shared/<name>       state files several checkpoints reference
//	<job>/taskowned/          files owned by tasks (reserved)
//
// Invariants:
//   - Atomic publish: a checkpoint is complete exactly when its _metadata
//     exists and verifies; _metadata is written after every file it
//     references, and becomes visible whole or not at all (temporary file,
//     fsync, rename, fsync of the directory on a local disk; one PUT on
//     S3). Discard deletes _metadata first.
//   - A checksum on every file: each FileRef records size and CRC32C
//     (Castagnoli), checked on every read; the metadata carries its own
//     CRC32C. A mismatch is an error wrapping ErrCorrupt that names the file.
//   - Latest never returns a damaged checkpoint: it falls back to an older
//     one and reports what it skipped and why.
//   - Never overwrite: WriteMetadata refuses to replace existing metadata.
//
// A Storage is safe for concurrent use: subtasks write state files while the
// job manager writes metadata.
//
// Errors: ErrCorrupt (*CorruptError), ErrNotFound, ErrIncomplete,
// ErrNoCheckpoint, ErrNotCheckpoint, ErrExists, ErrUnsupportedScheme,
// ErrUnsupportedVersion; ResolvePath answers with *PathError.
package storage
