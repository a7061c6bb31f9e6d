package checkpoint

import (
	"fmt"
	"slices"
	"time"
)

// Status of a checkpoint in the statistics.
type Status uint8

const (
	StatusInProgress Status = iota
	StatusCompleted
	StatusFailed
)

func (s Status) String() string {
	switch s {
	case StatusInProgress:
		return "IN_PROGRESS"
	case StatusCompleted:
		return "COMPLETED"
	case StatusFailed:
		return "FAILED"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Stats is a snapshot of the coordinator's checkpoint statistics, shaped
// after Flink's /jobs/:id/checkpoints. It is a deep copy: the caller may keep
// it and hand it to another goroutine.
type Stats struct {
	Triggered  int64 // checkpoints and savepoints triggered
	InProgress int64
	Completed  int64
	Failed     int64
	Restored   int64 // restores recorded (NewCoordinator with a checkpoint, Restored)

	// ConsecutiveFailures is the current count against TolerableFailures.
	ConsecutiveFailures int

	LatestCompleted *CheckpointStats // latest completed checkpoint (not savepoint)
	LatestSavepoint *CheckpointStats
	LatestFailed    *CheckpointStats
	LatestRestore   *RestoreStats

	// Summary covers every completed checkpoint and savepoint since the
	// coordinator was created, not only those in History.
	Summary Summary

	// History holds the most recent checkpoints, newest first, at most
	// CoordinatorConfig.HistorySize of them.
	History []CheckpointStats
}

// CheckpointStats describes one checkpoint or savepoint.
type CheckpointStats struct {
	ID          ID
	Kind        Kind
	Mode        Mode
	Status      Status
	TriggerTime time.Time
	LatestAck   time.Time // zero until the first acknowledgement
	// EndTime is when it completed (metadata written) or failed; zero while
	// in progress.
	EndTime time.Time
	// EndToEnd is Flink's end-to-end duration: trigger to latest
	// acknowledgement (to the failure for a failed checkpoint).
	EndToEnd time.Duration

	NumSubtasks       int
	NumAcknowledged   int
	StateSize         int64
	CheckpointedSize  int64
	ProcessedData     int64
	PersistedData     int64
	AlignmentBuffered int64

	Failure      error  // why it failed; nil otherwise
	ExternalPath string // where its metadata is, once completed
	Discarded    bool   // a completed checkpoint since subsumed and discarded

	Subtasks []SubtaskStats // one per subtask that must acknowledge, ordered
}

// SubtaskStats is one subtask's part in a checkpoint.
type SubtaskStats struct {
	Task         SubtaskKey
	Name         string
	Acknowledged bool
	// Late: the acknowledgement came after the checkpoint had failed.
	Late     bool
	AckTime  time.Time     // coordinator clock
	EndToEnd time.Duration // trigger to acknowledgement
	Metrics  SubtaskMetrics
}

// RestoreStats records a restore.
type RestoreStats struct {
	ID           ID
	Kind         Kind
	RestoreTime  time.Time
	ExternalPath string
}

// Summary holds minimum, maximum and average figures over completed
// checkpoints.
type Summary struct {
	Count            int64
	EndToEnd         DurationSummary
	StateSize        SizeSummary
	CheckpointedSize SizeSummary
	ProcessedData    SizeSummary
	PersistedData    SizeSummary
}

// SizeSummary: minimum, maximum and average of a byte count.
type SizeSummary struct{ Min, Max, Avg int64 }

// DurationSummary: minimum, maximum and average of a duration.
type DurationSummary struct{ Min, Max, Avg time.Duration }

// VertexStats aggregates the subtasks of one job vertex in a checkpoint, as
// Flink's per-vertex checkpoint details do.
type VertexStats struct {
	Vertex            int
	NumSubtasks       int
	NumAcknowledged   int
	LatestAck         time.Time
	EndToEnd          time.Duration // the slowest acknowledged subtask
	StateSize         int64
	CheckpointedSize  int64
	ProcessedData     int64
	PersistedData     int64
	AlignmentBuffered int64
	MaxStartDelay     time.Duration
	MaxAlignment      time.Duration
	MaxSync           time.Duration
	MaxAsync          time.Duration
}

// Vertices aggregates s.Subtasks per job vertex, ordered by vertex. Late
// acknowledgements are left out.
func (s *CheckpointStats) Vertices() []VertexStats {
	var out []VertexStats
	for _, st := range s.Subtasks {
		if len(out) == 0 || out[len(out)-1].Vertex != st.Task.Vertex {
			out = append(out, VertexStats{Vertex: st.Task.Vertex})
		}
		v := &out[len(out)-1]
		v.NumSubtasks++
		if !st.Acknowledged || st.Late {
			continue
		}
		v.NumAcknowledged++
		if st.AckTime.After(v.LatestAck) {
			v.LatestAck = st.AckTime
		}
		m := st.Metrics
		v.EndToEnd = max(v.EndToEnd, st.EndToEnd)
		v.StateSize += m.StateSize
		v.CheckpointedSize += m.CheckpointedSize
		v.ProcessedData += m.ProcessedData
		v.PersistedData += m.PersistedData
		v.AlignmentBuffered += m.AlignmentBuffered
		v.MaxStartDelay = max(v.MaxStartDelay, m.StartDelay)
		v.MaxAlignment = max(v.MaxAlignment, m.Alignment)
		v.MaxSync = max(v.MaxSync, m.SyncDuration)
		v.MaxAsync = max(v.MaxAsync, m.AsyncDuration)
	}
	return out
}

func (s *CheckpointStats) clone() *CheckpointStats {
	if s == nil {
		return nil
	}
	c := *s
	c.Subtasks = slices.Clone(s.Subtasks)
	return &c
}

// statsTracker keeps the statistics; owned by the Coordinator.
type statsTracker struct {
	historySize int
	tasks       []SubtaskKey
	names       []string // names of tasks, same order

	triggered, completed, failed, restored int64
	inProgress                             map[ID]*CheckpointStats
	history                                []*CheckpointStats // oldest first
	latestCompleted                        *CheckpointStats
	latestSavepoint                        *CheckpointStats
	latestFailed                           *CheckpointStats
	restore                                *RestoreStats
	sum                                    summaryAcc
}

type summaryAcc struct {
	count                                             int64
	e2e                                               acc
	stateSize, checkpointedSize, processed, persisted acc
}

type acc struct{ min, max, sum int64 }

func (a *acc) add(first bool, v int64) {
	if first || v < a.min {
		a.min = v
	}
	if first || v > a.max {
		a.max = v
	}
	a.sum += v
}

func (a acc) size(n int64) SizeSummary {
	if n == 0 {
		return SizeSummary{}
	}
	return SizeSummary{Min: a.min, Max: a.max, Avg: a.sum / n}
}

func (s *statsTracker) lookup(id ID) *CheckpointStats {
	if st := s.inProgress[id]; st != nil {
		return st
	}
	for _, st := range s.history {
		if st.ID == id {
			return st
		}
	}
	return nil
}

func (s *statsTracker) onTrigger(id ID, kind Kind, mode Mode, now time.Time) {
	st := &CheckpointStats{
		ID: id, Kind: kind, Mode: mode, Status: StatusInProgress, TriggerTime: now,
		NumSubtasks: len(s.tasks),
		Subtasks:    make([]SubtaskStats, len(s.tasks)),
	}
	for i, t := range s.tasks {
		st.Subtasks[i] = SubtaskStats{Task: t, Name: s.names[i]}
	}
	s.triggered++
	s.inProgress[id] = st
	s.history = append(s.history, st)
	if len(s.history) > s.historySize {
		s.history = slices.Delete(s.history, 0, len(s.history)-s.historySize)
	}
}

// onAck records an acknowledgement; late is true when it arrived after the
// checkpoint had failed.
func (s *statsTracker) onAck(id ID, idx int, m SubtaskMetrics, now time.Time, late bool) {
	st := s.lookup(id)
	if st == nil {
		return
	}
	sub := &st.Subtasks[idx]
	if sub.Acknowledged {
		return
	}
	sub.Acknowledged, sub.Late, sub.AckTime, sub.Metrics = true, late, now, m
	sub.EndToEnd = now.Sub(st.TriggerTime)
	if late {
		return
	}
	st.NumAcknowledged++
	if now.After(st.LatestAck) {
		st.LatestAck = now
	}
	st.EndToEnd = st.LatestAck.Sub(st.TriggerTime)
	st.StateSize += m.StateSize
	st.CheckpointedSize += m.CheckpointedSize
	st.ProcessedData += m.ProcessedData
	st.PersistedData += m.PersistedData
	st.AlignmentBuffered += m.AlignmentBuffered
}

func (s *statsTracker) onComplete(id ID, externalPath string, now time.Time) {
	st := s.inProgress[id]
	if st == nil {
		return
	}
	delete(s.inProgress, id)
	st.Status, st.EndTime, st.ExternalPath = StatusCompleted, now, externalPath
	s.completed++
	if st.Kind == KindSavepoint {
		s.latestSavepoint = st
	} else {
		s.latestCompleted = st
	}
	first := s.sum.count == 0
	s.sum.count++
	s.sum.e2e.add(first, int64(st.EndToEnd))
	s.sum.stateSize.add(first, st.StateSize)
	s.sum.checkpointedSize.add(first, st.CheckpointedSize)
	s.sum.processed.add(first, st.ProcessedData)
	s.sum.persisted.add(first, st.PersistedData)
}

func (s *statsTracker) onFail(id ID, cause error, now time.Time) {
	st := s.inProgress[id]
	if st == nil {
		return
	}
	delete(s.inProgress, id)
	st.Status, st.EndTime, st.Failure = StatusFailed, now, cause
	st.EndToEnd = now.Sub(st.TriggerTime)
	s.failed++
	s.latestFailed = st
}

func (s *statsTracker) onDiscarded(id ID) {
	if st := s.lookup(id); st != nil && st.Status == StatusCompleted {
		st.Discarded = true
	}
}

func (s *statsTracker) onRestore(cp *CompletedCheckpoint, now time.Time) {
	s.restored++
	s.restore = &RestoreStats{ID: cp.ID, Kind: cp.Kind, RestoreTime: now, ExternalPath: cp.ExternalPath}
}

func (s *statsTracker) snapshot(consecutive int) Stats {
	out := Stats{
		Triggered:           s.triggered,
		InProgress:          int64(len(s.inProgress)),
		Completed:           s.completed,
		Failed:              s.failed,
		Restored:            s.restored,
		ConsecutiveFailures: consecutive,
		LatestCompleted:     s.latestCompleted.clone(),
		LatestSavepoint:     s.latestSavepoint.clone(),
		LatestFailed:        s.latestFailed.clone(),
		History:             make([]CheckpointStats, 0, len(s.history)),
	}
	if s.restore != nil {
		r := *s.restore
		out.LatestRestore = &r
	}
	for i := len(s.history) - 1; i >= 0; i-- {
		out.History = append(out.History, *s.history[i].clone())
	}
	n := s.sum.count
	out.Summary = Summary{
		Count:            n,
		StateSize:        s.sum.stateSize.size(n),
		CheckpointedSize: s.sum.checkpointedSize.size(n),
		ProcessedData:    s.sum.processed.size(n),
		PersistedData:    s.sum.persisted.size(n),
	}
	if n > 0 {
		out.Summary.EndToEnd = DurationSummary{
			Min: time.Duration(s.sum.e2e.min),
			Max: time.Duration(s.sum.e2e.max),
			Avg: time.Duration(s.sum.e2e.sum / n),
		}
	}
	return out
}
