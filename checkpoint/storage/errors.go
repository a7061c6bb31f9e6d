package storage

import (
	"errors"
	"fmt"
)

var (
	// ErrCorrupt marks damaged data: a state file or metadata whose size or
	// CRC32C does not match, that is missing although referenced, or
	// metadata that does not decode. Errors wrapping it are *CorruptError
	// and name the file.
	ErrCorrupt = errors.New("corrupt")

	// ErrNotFound: the checkpoint, job directory or path does not exist.
	ErrNotFound = errors.New("does not exist")

	// ErrIncomplete: a checkpoint directory without _metadata; the
	// checkpoint never completed (or is still being written).
	ErrIncomplete = errors.New("incomplete (no _metadata)")

	// ErrNoCheckpoint: a job directory holds no complete, intact checkpoint.
	ErrNoCheckpoint = errors.New("no complete checkpoint")

	// ErrNotCheckpoint: a path given to ResolvePath is neither a checkpoint
	// directory, its _metadata, nor a job directory holding checkpoints.
	ErrNotCheckpoint = errors.New("not a checkpoint")

	// ErrExists: WriteMetadata refuses to replace existing metadata.
	ErrExists = errors.New("already exists")

	// ErrUnsupportedScheme: Open does not know the location's scheme.
	ErrUnsupportedScheme = errors.New("unsupported checkpoint storage scheme")

	// ErrUnsupportedVersion: metadata written in a format version this
	// build does not read.
	ErrUnsupportedVersion = errors.New("unsupported metadata format version")
)

// CorruptError says which file is damaged and how. Path is relative to the
// job's directory ("chk-12/op-x-0"; "chk-12/_metadata"); an inline state is
// named "<inline state>".
type CorruptError struct {
	Path   string
	Reason string
	Err    error // underlying error, if any
}

func (e *CorruptError) Error() string { return fmt.Sprintf("%s: %s", e.Path, e.Reason) }

func (e *CorruptError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrCorrupt}
	}
	return []error{ErrCorrupt, e.Err}
}

// PathError is ResolvePath's one-line answer for a path it cannot use. Err is
// ErrNotFound, ErrNotCheckpoint, ErrCorrupt, ErrIncomplete or
// ErrNoCheckpoint.
type PathError struct {
	Path string
	Err  error
	Msg  string // the sentence for people
}

func (e *PathError) Error() string { return e.Msg }
func (e *PathError) Unwrap() error { return e.Err }
