package operator

import (
	"context"
	"io"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/internal/keygroup"
	"github.com/weirstream/weir/state"
)

// StatefulOperator is implemented by an operator with state that must
// survive failures.
//
// SnapshotState is the synchronous part of checkpoint id: it runs on the
// subtask's goroutine between two records and must capture an immutable view
// of the state in time that does not grow with the state's size. The
// returned snapshot is written out asynchronously while records flow again.
type StatefulOperator interface {
	SnapshotState(id int64) (OperatorSnapshot, error)
}

// CheckpointListener is implemented by an operator that acts when a
// checkpoint completes (a two-phase-commit sink commits then). It runs on
// the subtask's goroutine.
type CheckpointListener interface {
	NotifyCheckpointComplete(id int64) error
}

// OperatorSnapshot is what one operator captured for one checkpoint.
type OperatorSnapshot struct {
	// Keyed is the keyed state, written by the asynchronous part; nil if the
	// operator keeps none.
	Keyed     KeyedSnapshot
	KeyGroups keygroup.Range
	// Lists are operator list states (source positions, sink
	// committables): small, stored inline in the checkpoint's metadata.
	Lists []ListSnapshot
}

// KeyedSnapshot is an immutable view of keyed state, taken by the
// synchronous part of a checkpoint and written by the asynchronous part on
// another goroutine, concurrently with the operator. It is a
// SectionSnapshot (heap backend) or a FileSnapshot (pebble backend).
// Release frees the view once it is written or abandoned.
type KeyedSnapshot interface {
	Release()
}

// SectionSnapshot writes keyed state as one file with a section per key
// group and returns each section's offset.
type SectionSnapshot interface {
	KeyedSnapshot
	WriteSections(w io.Writer) (offsets []int64, size int64, err error)
}

// FileSnapshot is keyed state as a set of local files that do not change
// until Release (a Pebble checkpoint of hard links).
type FileSnapshot interface {
	KeyedSnapshot
	Files() []SnapshotFile
}

// SnapshotFile is one file of a FileSnapshot. Immutable is set for a file
// whose name always means the same content (an SST): an incremental
// checkpoint uploads it once, to shared/, and refers to that copy while it
// lives.
type SnapshotFile = state.SnapshotFile

// ListSnapshot is one operator list state: entries are redistributed
// among subtasks by Mode when the parallelism changes.
type ListSnapshot struct {
	Name    string
	Mode    checkpoint.Distribution
	Entries [][]byte
}

// OperatorRestore is the state an operator instance starts from.
type OperatorRestore struct {
	// Keyed holds every keyed state file that covers some of this
	// subtask's key groups.
	Keyed []KeyedRestore
	// Lists holds, per list state name, the entries redistributed to this
	// subtask (a non-nil, possibly empty slice for every name the operator
	// stored). At an unchanged parallelism a subtask gets back exactly what
	// it stored, and a name it stored none of is absent.
	Lists map[string][][]byte
}

// KeyedRestore is one keyed state handle that covers some of the subtask's
// key groups. For the heap backend's format (Format ""), Offsets locates
// each group's section in Data. For the pebble format, Files are the
// database's files, read on demand.
type KeyedRestore struct {
	KeyGroups keygroup.Range
	Format    string // checkpoint.FormatSections or checkpoint.FormatPebble
	Offsets   []int64
	Data      []byte
	// Checkpoint is the id of the checkpoint restored from (for local
	// recovery).
	Checkpoint int64
	Files      []RestoreFile
}

// RestoreFile is one file of a multi-file keyed state handle.
type RestoreFile struct {
	Name string
	Size int64
	// Open reads the file from checkpoint storage, checking its size and
	// checksum at the end.
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// KeyGroupFactory returns a function from a record to its key group, for one
// writer (the function may keep scratch space and is not shared).
type KeyGroupFactory[T any] func(maxParallelism int) func(T) int
