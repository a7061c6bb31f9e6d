package checkpoint

import (
	"fmt"
	"github.com/weirstream/weir/internal/keygroup"
	"hash/crc32"
	"maps"
	"slices"
	"time"
)

// ID numbers checkpoints and savepoints of one job. IDs ascend and are never
// reused: a job restored from checkpoint n continues with n+1.
type ID int64

// SubtaskKey names one parallel instance of a job vertex (a chain of
// operators). Subtask is 0-based; people see it 1-based, as in "Sink (2/2)".
type SubtaskKey struct {
	Vertex  int // job vertex index
	Subtask int // 0-based subtask index within the vertex
}

func (k SubtaskKey) String() string { return fmt.Sprintf("%d/%d", k.Vertex, k.Subtask) }

// Less orders keys by vertex, then subtask.
func (k SubtaskKey) Less(o SubtaskKey) bool {
	if k.Vertex != o.Vertex {
		return k.Vertex < o.Vertex
	}
	return k.Subtask < o.Subtask
}

// Kind tells a checkpoint from a savepoint.
//
// A checkpoint is owned by the engine: it is retained until subsumed and used
// for failover. A savepoint is triggered by a person, is owned by them (never
// discarded by the coordinator), is not used for automatic failover, and its
// completion is not announced to tasks (no two-phase-commit sink commits on
// it), as in Flink since 1.15.
type Kind uint8

const (
	KindCheckpoint Kind = iota
	KindSavepoint
)

func (k Kind) String() string {
	switch k {
	case KindCheckpoint:
		return "checkpoint"
	case KindSavepoint:
		return "savepoint"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Mode is the processing guarantee a checkpoint is taken with; it travels in
// the trigger so that tasks know whether to align barriers.
type Mode uint8

const (
	ExactlyOnce Mode = iota // barriers are aligned
	AtLeastOnce             // barriers are not aligned; records may be replayed twice
)

func (m Mode) String() string {
	switch m {
	case ExactlyOnce:
		return "EXACTLY_ONCE"
	case AtLeastOnce:
		return "AT_LEAST_ONCE"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// Distribution says how the elements of an operator list state are handed out
// when a job is restored with another parallelism.
type Distribution uint8

const (
	// SplitDistribute: the elements of all subtasks are pooled and split
	// evenly (round-robin) among the new subtasks.
	SplitDistribute Distribution = iota
	// UnionDistribute: every new subtask receives all elements of all old
	// subtasks.
	UnionDistribute
)

func (d Distribution) String() string {
	switch d {
	case SplitDistribute:
		return "SPLIT_DISTRIBUTE"
	case UnionDistribute:
		return "UNION"
	}
	return fmt.Sprintf("distribution(%d)", uint8(d))
}

// FileRef points at one file of a checkpoint, or holds small state inline.
//
// Path is relative to the job's directory in checkpoint storage (for example
// "chk-12/op-3f2a-0.kg" or "shared/0a1b.sst"), always with '/' separators.
// Size and CRC32C (Castagnoli) describe the file's exact content and are
// verified on every read. When Inline is not nil the state lives in the
// metadata itself, Path is empty, and Size and CRC32C describe Inline.
type FileRef struct {
	Path   string
	Size   int64
	CRC32C uint32
	Inline []byte
}

// InlineRef returns a reference that keeps data inline, with its size and
// CRC32C: storage verifies both when the state is read back.
func InlineRef(data []byte) FileRef {
	if data == nil {
		data = []byte{}
	}
	return FileRef{Size: int64(len(data)), CRC32C: crc32.Checksum(data, castagnoli), Inline: data}
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// IsInline reports whether the state is kept in the metadata, not in a file.
func (f FileRef) IsInline() bool { return f.Inline != nil }

// KeyGroupRange is the half-open range [Start, End) of key groups.
type KeyGroupRange struct {
	Start, End int
}

// Len is the number of key groups in the range (0 when empty).
func (r KeyGroupRange) Len() int {
	if r.End <= r.Start {
		return 0
	}
	return r.End - r.Start
}

// Contains reports whether key group g is in the range.
func (r KeyGroupRange) Contains(g int) bool { return g >= r.Start && g < r.End }

// Intersect returns the key groups in both ranges (empty when disjoint).
func (r KeyGroupRange) Intersect(o KeyGroupRange) KeyGroupRange {
	s, e := max(r.Start, o.Start), min(r.End, o.End)
	if e < s {
		e = s
	}
	return KeyGroupRange{Start: s, End: e}
}

func (r KeyGroupRange) String() string { return fmt.Sprintf("[%d, %d)", r.Start, r.End) }

// KeyGroupRangeFor returns the key groups that subtask (0-based) of an
// operator with the given parallelism owns, out of maxParallelism groups. The
// ranges of all subtasks are contiguous, disjoint and cover [0,
// maxParallelism); this is Flink's assignment, so that state moves between
// parallelisms by whole key groups.
func KeyGroupRangeFor(maxParallelism, parallelism, subtask int) KeyGroupRange {
	r := keygroup.RangeFor(maxParallelism, parallelism, subtask)
	return KeyGroupRange{Start: r.Start, End: r.End}
}

// Keyed state formats, the value of KeyedStateHandle.Format.
const (
	// FormatSections is the heap backend's: one file with a section per key
	// group (docs/state-format.md).
	FormatSections = ""
	// FormatPebble is the pebble backend's: the files of a Pebble database
	// checkpoint, in Files.
	FormatPebble = "pebble"
)

// KeyedStateHandle is the keyed state of one operator subtask for the key
// groups KeyGroups, in one of two formats.
//
// FormatSections: one file with a section per key group. Offsets[i] is the
// byte offset in File of the section of key group KeyGroups.Start+i, so
// len(Offsets) == KeyGroups.Len().
//
// FormatPebble: the files of a Pebble database, each by its name in the
// database directory; File and Offsets are unused. Files under shared/ may
// be referenced by several checkpoints (incremental checkpoints).
type KeyedStateHandle struct {
	KeyGroups KeyGroupRange
	Format    string
	File      FileRef
	Offsets   []int64
	Files     []NamedFile
}

// NamedFile is one file of a multi-file keyed state handle.
type NamedFile struct {
	Name string
	File FileRef
}

// Backend names the state backend that wrote h, as in
// PropStateBackend: "heap" or "pebble".
func (h *KeyedStateHandle) Backend() string {
	if h.Format == FormatPebble {
		return "pebble"
	}
	return "heap"
}

// OperatorStateHandle is the operator (non-keyed) state of one operator
// subtask: named list states stored in one file.
type OperatorStateHandle struct {
	File   FileRef
	States []NamedListState
}

// NamedListState locates the elements of one list state in its file:
// Offsets has one byte offset per list element.
type NamedListState struct {
	Name    string
	Mode    Distribution
	Offsets []int64
}

// OperatorSubtaskState is what one subtask snapshotted for one operator of its
// chain. A subtask reports one per operator, even for stateless operators (all
// slices empty), so that a restore can check parallelism and find every
// operator.
type OperatorSubtaskState struct {
	OperatorUID string
	Subtask     int
	Keyed       []KeyedStateHandle
	Operator    []OperatorStateHandle
	InFlight    []FileRef // in-flight buffers; reserved for unaligned checkpoints
}

// Files calls fn for every file reference in the state, inline ones included.
func (s *OperatorSubtaskState) Files(fn func(FileRef)) {
	for _, k := range s.Keyed {
		if k.Format == FormatPebble {
			for _, f := range k.Files {
				fn(f.File)
			}
			continue
		}
		fn(k.File)
	}
	for _, o := range s.Operator {
		fn(o.File)
	}
	for _, f := range s.InFlight {
		fn(f)
	}
}

// Size is the sum of the sizes of all files and inline state of s.
func (s *OperatorSubtaskState) Size() int64 {
	var n int64
	s.Files(func(f FileRef) { n += f.Size })
	return n
}

// SubtaskMetrics are the figures a subtask reports with its acknowledgement;
// they feed the statistics and the diagnosis of slow checkpoints.
type SubtaskMetrics struct {
	StartDelay    time.Duration // trigger to first barrier seen by the subtask
	Alignment     time.Duration // first to last barrier (aligned mode)
	SyncDuration  time.Duration // synchronous part of the snapshot
	AsyncDuration time.Duration // asynchronous part (writing files)

	AlignmentBuffered int64 // bytes held back during alignment
	ProcessedData     int64 // bytes processed during alignment
	PersistedData     int64 // in-flight bytes persisted (unaligned)
	StateSize         int64 // full size of the subtask's state in this checkpoint
	CheckpointedSize  int64 // bytes written for this checkpoint (less than StateSize when incremental)
}

// Ack is a subtask's acknowledgement of a checkpoint: handles to what it
// wrote, and its figures. At is the subtask's own clock, kept for diagnosis;
// the coordinator's figures use the time Receive is called with.
type Ack struct {
	Checkpoint ID
	Task       SubtaskKey
	States     []OperatorSubtaskState
	Metrics    SubtaskMetrics
	At         time.Time
}

// Decline is a subtask's refusal to take part in a checkpoint. Cause says why;
// wrap one of the task-side sentinels (ErrTaskNotReady, ErrTaskClosing,
// ErrEndOfInput, ErrBarrierSubsumed, ErrCancellationBarrier, ErrAsyncSnapshot,
// ErrNotAllTasksRunning) when one applies: the sentinel decides whether the
// decline counts towards the tolerable failures (see CountsAsFailure).
type Decline struct {
	Checkpoint ID
	Task       SubtaskKey
	Cause      error
	At         time.Time
}

// Property keys of CompletedCheckpoint.Properties that Weir itself sets.
const (
	PropMode           = "mode"            // Mode.String() of the checkpoint
	PropMaxParallelism = "max-parallelism" // the job's default max parallelism
	PropStateBackend   = "state-backend"   // "heap" or "pebble"
	PropInterval       = "interval"        // execution.checkpointing.interval, as a Go duration
	// PropVertexPrefix + the vertex index holds the vertex's name, so that
	// tools can name subtasks of a retained checkpoint.
	PropVertexPrefix = "vertex."
	// The job's identity, which a restore checks: PropOperatorUIDs holds
	// its operators' UIDs, sorted and comma-separated; PropSourcePrefix +
	// a source's UID holds what that source reads ("file /data/in.txt").
	PropOperatorUIDs = "operator-uids"
	PropSourcePrefix = "source."
)

// OperatorState is everything one operator (by UID) stored in a checkpoint.
type OperatorState struct {
	Parallelism    int
	MaxParallelism int
	Subtasks       []OperatorSubtaskState // ordered by Subtask
}

// TaskAck records when a subtask acknowledged a checkpoint and its figures.
type TaskAck struct {
	Task    SubtaskKey
	AckTime time.Time // coordinator clock
	Metrics SubtaskMetrics
}

// CompletedCheckpoint is a checkpoint or savepoint that every subtask
// acknowledged: what its _metadata file holds.
type CompletedCheckpoint struct {
	ID               ID
	Job              string
	Kind             Kind
	Timestamp        time.Time     // when it was triggered
	Duration         time.Duration // trigger to last acknowledgement
	Properties       map[string]string
	Operators        map[string]*OperatorState // by operator UID
	StateSize        int64
	CheckpointedSize int64
	Tasks            []TaskAck // one per subtask, ordered by Task

	// ExternalPath is where the checkpoint lives (for example
	// "file:///data/ckpt/wordcount/chk-12"). Storage sets it when it writes
	// or reads the metadata; it is not part of the encoded metadata.
	ExternalPath string
}

// States returns every operator subtask state of the checkpoint, ordered by
// operator UID, then subtask.
func (c *CompletedCheckpoint) States() []OperatorSubtaskState {
	var out []OperatorSubtaskState
	for _, uid := range sortedKeys(c.Operators) {
		out = append(out, c.Operators[uid].Subtasks...)
	}
	return out
}

// Files calls fn for every file reference of the checkpoint.
func (c *CompletedCheckpoint) Files(fn func(FileRef)) {
	for _, uid := range sortedKeys(c.Operators) {
		for i := range c.Operators[uid].Subtasks {
			c.Operators[uid].Subtasks[i].Files(fn)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
