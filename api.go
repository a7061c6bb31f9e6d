package weir

import "github.com/weirstream/weir/cluster"

// The job manager's names, as the API offers them: a program that runs a
// job reads its status and errors without importing package cluster.

// JobInfo is the live, read-only view of a job that Execute runs (see
// cluster.JobInfo).
type JobInfo = cluster.JobInfo

// Exception is one failure of a job (see cluster.Exception).
type Exception = cluster.Exception

// CheckpointConfig is a job's checkpointing configuration as JobInfo
// reports it (see cluster.CheckpointConfig).
type CheckpointConfig = cluster.CheckpointConfig

// A job's states, as Flink names them.
const (
	StateCreated    = cluster.StateCreated
	StateRunning    = cluster.StateRunning
	StateRestarting = cluster.StateRestarting
	StateFailed     = cluster.StateFailed
	StateCanceled   = cluster.StateCanceled
	StateFinished   = cluster.StateFinished
)

// The values of RestoreFrom's path with a meaning of their own.
const (
	// RestoreLatest is the newest intact checkpoint of this job under
	// execution.checkpointing.dir; a job with none is refused.
	RestoreLatest = cluster.RestoreLatest
	// RestoreLatestOrFresh is RestoreLatest, but a job with no checkpoint
	// yet starts fresh, saying so in the log.
	RestoreLatestOrFresh = cluster.RestoreLatestOrFresh
)

// The errors Execute returns that a caller may act on; see package
// cluster for what each means.
var (
	// ErrRestore marks a checkpoint the job refuses to start from.
	ErrRestore = cluster.ErrRestore
	// ErrFinished marks a refusal to resume a job that finished.
	ErrFinished = cluster.ErrFinished
	// ErrStorage marks checkpoint storage that could not be reached.
	ErrStorage = cluster.ErrStorage
	// ErrOutputMayRepeat says the job succeeded but some output may have
	// been written twice (a fallback past newer checkpoints).
	ErrOutputMayRepeat = cluster.ErrOutputMayRepeat
	// ErrNotRunning is returned by JobInfo.Cancel for a job that has ended.
	ErrNotRunning = cluster.ErrNotRunning
)
