package api

import "encoding/json"

// MinMaxAvg is Flink's StatsSummaryDto without the percentiles.
type MinMaxAvg struct {
	Min int64 `json:"min"`
	Max int64 `json:"max"`
	Avg int64 `json:"avg"`
}

// Checkpointing is GET /jobs/:jobid/checkpoints, after Flink's
// CheckpointingStatistics. History holds the most recent checkpoints,
// newest first, with their Tasks empty.
type Checkpointing struct {
	Counts  CheckpointCounts     `json:"counts"`
	Summary CheckpointingSummary `json:"summary"`
	Latest  LatestCheckpoints    `json:"latest"`
	History []Checkpoint         `json:"history"`
}

// CheckpointCounts counts a job's checkpoints; Total is how many were
// triggered.
type CheckpointCounts struct {
	Restored   int64 `json:"restored"`
	Total      int64 `json:"total"`
	InProgress int64 `json:"in_progress"`
	Completed  int64 `json:"completed"`
	Failed     int64 `json:"failed"`
}

// StatsSummary is Flink's StatsSummaryDto: minimum, maximum and average,
// and the 50th, 90th, 95th, 99th and 99.9th percentiles.
type StatsSummary struct {
	MinMaxAvg
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
}

// CheckpointingSummary sums up the completed checkpoints.
type CheckpointingSummary struct {
	CheckpointedSize  StatsSummary `json:"checkpointed_size"`
	StateSize         StatsSummary `json:"state_size"`
	EndToEndDuration  StatsSummary `json:"end_to_end_duration"`
	AlignmentBuffered StatsSummary `json:"alignment_buffered"`
	ProcessedData     StatsSummary `json:"processed_data"`
	PersistedData     StatsSummary `json:"persisted_data"`
}

// LatestCheckpoints are the newest of each kind, null when there is none.
type LatestCheckpoints struct {
	Completed *Checkpoint         `json:"completed"`
	Savepoint *Checkpoint         `json:"savepoint"`
	Failed    *Checkpoint         `json:"failed"`
	Restored  *RestoredCheckpoint `json:"restored"`
}

// RestoredCheckpoint is the checkpoint the job last restored from.
type RestoredCheckpoint struct {
	ID               int64  `json:"id"`
	RestoreTimestamp int64  `json:"restore_timestamp"`
	IsSavepoint      bool   `json:"is_savepoint"`
	ExternalPath     string `json:"external_path"`
}

// Checkpoint is one checkpoint, after Flink's CheckpointStatistics: in the
// history and latest of Checkpointing, and alone from
// GET /jobs/:jobid/checkpoints/details/:checkpointid, where Tasks holds one
// entry per vertex ID.
type Checkpoint struct {
	ClassName               string                    `json:"className"`
	ID                      int64                     `json:"id"`
	Status                  string                    `json:"status"`
	IsSavepoint             bool                      `json:"is_savepoint"`
	TriggerTimestamp        int64                     `json:"trigger_timestamp"`
	LatestAckTimestamp      int64                     `json:"latest_ack_timestamp"`
	CheckpointedSize        int64                     `json:"checkpointed_size"`
	StateSize               int64                     `json:"state_size"`
	EndToEndDuration        int64                     `json:"end_to_end_duration"`
	AlignmentBuffered       int64                     `json:"alignment_buffered"`
	ProcessedData           int64                     `json:"processed_data"`
	PersistedData           int64                     `json:"persisted_data"`
	NumSubtasks             int                       `json:"num_subtasks"`
	NumAcknowledgedSubtasks int                       `json:"num_acknowledged_subtasks"`
	CheckpointType          string                    `json:"checkpoint_type"`
	Tasks                   map[string]TaskCheckpoint `json:"tasks"`

	// Completed checkpoints only.
	ExternalPath *string `json:"external_path,omitempty"`
	Discarded    *bool   `json:"discarded,omitempty"`
	// Failed checkpoints only.
	FailureTimestamp *int64  `json:"failure_timestamp,omitempty"`
	FailureMessage   *string `json:"failure_message,omitempty"`
	// Weir, failed checkpoints only: why, as a code (one of the Reason
	// constants; ReasonUnknown when none applies), and for a decline or a
	// metadata write failure the cause underneath.
	FailureReason string        `json:"failure_reason,omitempty"`
	FailureCause  *FailureCause `json:"failure_cause,omitempty"`

	// Weir: why the checkpoint was slow, expired or failed, when there is
	// something to say.
	Diagnosis *Diagnosis `json:"diagnosis,omitempty"`
}

// TaskCheckpoint is one vertex's part of a Checkpoint, after Flink's
// TaskCheckpointStatistics. EndToEndDuration is its slowest subtask's.
type TaskCheckpoint struct {
	ID                      int64  `json:"id"`
	Status                  string `json:"status"`
	LatestAckTimestamp      int64  `json:"latest_ack_timestamp"`
	CheckpointedSize        int64  `json:"checkpointed_size"`
	StateSize               int64  `json:"state_size"`
	EndToEndDuration        int64  `json:"end_to_end_duration"`
	AlignmentBuffered       int64  `json:"alignment_buffered"`
	ProcessedData           int64  `json:"processed_data"`
	PersistedData           int64  `json:"persisted_data"`
	NumSubtasks             int    `json:"num_subtasks"`
	NumAcknowledgedSubtasks int    `json:"num_acknowledged_subtasks"`
}

// CheckpointConfig is GET /jobs/:jobid/checkpoints/config, after Flink's
// CheckpointConfigInfo; durations in milliseconds.
type CheckpointConfig struct {
	Mode                        string          `json:"mode"`
	Interval                    int64           `json:"interval"`
	Timeout                     int64           `json:"timeout"`
	MinPause                    int64           `json:"min_pause"`
	MaxConcurrent               int             `json:"max_concurrent"`
	Externalization             Externalization `json:"externalization"`
	StateBackend                string          `json:"state_backend"`
	CheckpointStorage           string          `json:"checkpoint_storage"`
	UnalignedCheckpoints        bool            `json:"unaligned_checkpoints"`
	TolerableFailedCheckpoints  int             `json:"tolerable_failed_checkpoints"`
	AlignedCheckpointTimeout    int64           `json:"aligned_checkpoint_timeout"`
	CheckpointsAfterTasksFinish bool            `json:"checkpoints_after_tasks_finish"`
	StateChangelogEnabled       bool            `json:"state_changelog_enabled"`
	// Weir: where checkpoints are written (credentials redacted) and how
	// many completed ones are kept.
	CheckpointsDirectory string `json:"checkpoints_directory"`
	NumRetained          int    `json:"num_retained"`
}

// Externalization says whether completed checkpoints outlive the job.
type Externalization struct {
	Enabled              bool `json:"enabled"`
	DeleteOnCancellation bool `json:"delete_on_cancellation"`
}

// TaskCheckpointDetails is
// GET /jobs/:jobid/checkpoints/details/:checkpointid/subtasks/:vertexid,
// after Flink's TaskCheckpointStatisticsWithSubtaskDetails: the vertex's
// figures, their summary over its acknowledged subtasks, and each subtask.
type TaskCheckpointDetails struct {
	TaskCheckpoint
	Summary  SubtasksSummary     `json:"summary"`
	Subtasks []SubtaskCheckpoint `json:"subtasks"`
}

// SubtasksSummary sums up the acknowledged subtasks of a
// TaskCheckpointDetails.
type SubtasksSummary struct {
	CheckpointedSize   MinMaxAvg        `json:"checkpointed_size"`
	StateSize          MinMaxAvg        `json:"state_size"`
	EndToEndDuration   MinMaxAvg        `json:"end_to_end_duration"`
	CheckpointDuration SyncAsyncSummary `json:"checkpoint_duration"`
	Alignment          AlignmentSummary `json:"alignment"`
	StartDelay         MinMaxAvg        `json:"start_delay"`
}

// SyncAsyncSummary sums up the snapshots' synchronous and asynchronous
// parts.
type SyncAsyncSummary struct {
	Sync  MinMaxAvg `json:"sync"`
	Async MinMaxAvg `json:"async"`
}

// AlignmentSummary sums up the subtasks' Alignment figures.
type AlignmentSummary struct {
	Buffered  MinMaxAvg `json:"buffered"`
	Processed MinMaxAvg `json:"processed"`
	Persisted MinMaxAvg `json:"persisted"`
	Duration  MinMaxAvg `json:"duration"`
}

// ClassNamePending is the ClassName of a SubtaskCheckpoint that never
// acknowledged.
const ClassNamePending = "pending"

// SubtaskCheckpoint is one subtask of a TaskCheckpointDetails, after
// Flink's SubtaskCheckpointStatistics. One that acknowledged has ClassName
// and Status "completed" and every figure; one that never did has
// ClassName ClassNamePending, Status "pending_or_failed", and is written
// with those two fields and its Index only, as Flink's
// PendingSubtaskCheckpointStatistics.
type SubtaskCheckpoint struct {
	ClassName        string    `json:"className"`
	Index            int       `json:"index"`
	Status           string    `json:"status"`
	AckTimestamp     int64     `json:"ack_timestamp"`
	EndToEndDuration int64     `json:"end_to_end_duration"`
	StateSize        int64     `json:"state_size"`
	CheckpointedSize int64     `json:"checkpointed_size"`
	Checkpoint       SyncAsync `json:"checkpoint"`
	Alignment        Alignment `json:"alignment"`
	// StartDelay is from the trigger to the first barrier at the subtask.
	StartDelay          int64 `json:"start_delay"`
	UnalignedCheckpoint bool  `json:"unaligned_checkpoint"`
	Aborted             bool  `json:"aborted"`
	// Weir: the acknowledgement came after the checkpoint had failed.
	Late bool `json:"late"`
}

// MarshalJSON writes a pending subtask in Flink's short form.
func (s SubtaskCheckpoint) MarshalJSON() ([]byte, error) {
	if s.ClassName == ClassNamePending {
		return json.Marshal(struct {
			ClassName string `json:"className"`
			Index     int    `json:"index"`
			Status    string `json:"status"`
		}{s.ClassName, s.Index, s.Status})
	}
	type plain SubtaskCheckpoint // without this method
	return json.Marshal(plain(s))
}

// SyncAsync are the durations of a snapshot's synchronous and
// asynchronous parts.
type SyncAsync struct {
	Sync  int64 `json:"sync"`
	Async int64 `json:"async"`
}

// Alignment is a subtask's barrier alignment: bytes buffered, processed and
// persisted meanwhile, and the time from its first barrier to its last.
type Alignment struct {
	Buffered  int64 `json:"buffered"`
	Processed int64 `json:"processed"`
	Persisted int64 `json:"persisted"`
	Duration  int64 `json:"duration"`
}

// Diagnoses is GET /jobs/:jobid/checkpoints/diagnosis (Weir's): every
// checkpoint the diagnosis has something to say about, newest first.
type Diagnoses struct {
	Entries []DiagnosisEntry `json:"entries"`
}

// DiagnosisEntry is one checkpoint of Diagnoses. FailureReason is set for
// a failed checkpoint, as in Checkpoint.
type DiagnosisEntry struct {
	ID               int64     `json:"id"`
	Status           string    `json:"status"`
	CheckpointType   string    `json:"checkpoint_type"`
	TriggerTimestamp int64     `json:"trigger_timestamp"`
	EndToEndDuration int64     `json:"end_to_end_duration"`
	FailureReason    string    `json:"failure_reason,omitempty"`
	Diagnosis        Diagnosis `json:"diagnosis"`
}

// Diagnosis is Weir's explanation of a slow, expired or failed checkpoint,
// from package diagnosis.
type Diagnosis struct {
	// Cause is the main cause in one word (backpressure, alignment, sync,
	// async, storage, ack-delay, busy-task, no-ack, declined, metadata, failed,
	// unclear).
	Cause   string   `json:"cause"`
	Summary string   `json:"summary"`
	Causes  []string `json:"causes"`
	Advice  []string `json:"advice"`
	// BottleneckVertex is the ID of the vertex causing backpressure.
	BottleneckVertex     string       `json:"bottleneck_vertex,omitempty"`
	BottleneckVertexName string       `json:"bottleneck_vertex_name,omitempty"`
	LateSubtasks         []SubtaskRef `json:"late_subtasks,omitempty"`
	// HotVertex and HotSubtask name a subtask that gets far more records
	// than its siblings.
	HotVertex  string `json:"hot_vertex,omitempty"`
	HotSubtask *int   `json:"hot_subtask,omitempty"`
}

// SubtaskRef names a subtask: its vertex's ID and its 0-based index.
type SubtaskRef struct {
	Vertex  string `json:"vertex"`
	Subtask int    `json:"subtask"`
}

// CheckpointTriggerRequest is the body of POST /jobs/:jobid/checkpoints,
// after Flink's CheckpointTriggerRequestBody; the whole body may be left
// out. TriggerID names the request (32 hexadecimal digits; empty: the
// server picks one); CheckpointType is CONFIGURED (or empty): Weir takes
// the checkpoint its configuration says, full or incremental.
type CheckpointTriggerRequest struct {
	TriggerID      string `json:"triggerId,omitempty"`
	CheckpointType string `json:"checkpointType,omitempty"`
}

// TriggerResponse is the 202 answer to POST /jobs/:jobid/checkpoints,
// Flink's TriggerResponse: the ID to ask
// GET /jobs/:jobid/checkpoints/:triggerid with.
type TriggerResponse struct {
	RequestID string `json:"request-id"`
}

// CheckpointTriggerStatus is GET /jobs/:jobid/checkpoints/:triggerid,
// Flink's AsynchronousOperationResult of a CheckpointInfo: Status.ID is
// IN_PROGRESS, when Operation is absent, until the checkpoint completed or
// failed, then COMPLETED.
type CheckpointTriggerStatus struct {
	Status    QueueStatus            `json:"status"`
	Operation *CheckpointTriggerInfo `json:"operation,omitempty"`
}

// CheckpointTriggerInfo is Flink's CheckpointInfo: CheckpointID for a
// checkpoint that completed, else FailureCause (its message) and, Weir's,
// FailureReason (a failure_reason code, as a failed checkpoint's).
type CheckpointTriggerInfo struct {
	CheckpointID  *int64         `json:"checkpointId,omitempty"`
	FailureCause  *ThrowableInfo `json:"failureCause,omitempty"`
	FailureReason string         `json:"failure_reason,omitempty"`
}
