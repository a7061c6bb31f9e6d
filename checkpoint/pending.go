package checkpoint

import (
	"slices"
	"time"
)

// PendingCheckpoint is a checkpoint in progress: triggered, collecting
// acknowledgements. Only the Coordinator changes it; drivers read it.
type PendingCheckpoint struct {
	ID        ID
	Kind      Kind
	Mode      Mode
	Timestamp time.Time // trigger time
	Deadline  time.Time // it expires at this time unless fully acknowledged

	tasks      []SubtaskKey // all that must acknowledge, ordered
	acks       map[SubtaskKey]*Ack
	finalizing bool // fully acknowledged; waiting for Finalized
	lastAck    time.Time
	ackTimes   map[SubtaskKey]time.Time
}

func newPending(id ID, kind Kind, mode Mode, now time.Time, timeout time.Duration, tasks []SubtaskKey) *PendingCheckpoint {
	return &PendingCheckpoint{
		ID: id, Kind: kind, Mode: mode, Timestamp: now, Deadline: now.Add(timeout),
		tasks:    tasks,
		acks:     make(map[SubtaskKey]*Ack, len(tasks)),
		ackTimes: make(map[SubtaskKey]time.Time, len(tasks)),
	}
}

// Acknowledged reports whether task has acknowledged.
func (p *PendingCheckpoint) Acknowledged(task SubtaskKey) bool {
	_, ok := p.acks[task]
	return ok
}

// NumAcknowledged is how many subtasks have acknowledged.
func (p *PendingCheckpoint) NumAcknowledged() int { return len(p.acks) }

// NumTasks is how many subtasks must acknowledge.
func (p *PendingCheckpoint) NumTasks() int { return len(p.tasks) }

// FullyAcknowledged reports whether every subtask has acknowledged.
func (p *PendingCheckpoint) FullyAcknowledged() bool { return len(p.acks) == len(p.tasks) }

// NotYetAcknowledged lists the subtasks that have not acknowledged, ordered.
func (p *PendingCheckpoint) NotYetAcknowledged() []SubtaskKey {
	var out []SubtaskKey
	for _, t := range p.tasks {
		if _, ok := p.acks[t]; !ok {
			out = append(out, t)
		}
	}
	return out
}

// States returns the operator states acknowledged so far, in task order.
func (p *PendingCheckpoint) States() []OperatorSubtaskState {
	var out []OperatorSubtaskState
	for _, t := range p.tasks {
		if a := p.acks[t]; a != nil {
			out = append(out, a.States...)
		}
	}
	return out
}

// completed builds the metadata of a fully acknowledged checkpoint.
func (p *PendingCheckpoint) completed(cfg *CoordinatorConfig, parallelism map[int]int) *CompletedCheckpoint {
	cp := &CompletedCheckpoint{
		ID:         p.ID,
		Job:        cfg.Job,
		Kind:       p.Kind,
		Timestamp:  p.Timestamp,
		Duration:   p.lastAck.Sub(p.Timestamp),
		Properties: make(map[string]string, len(cfg.Properties)+1),
		Operators:  make(map[string]*OperatorState),
		Tasks:      make([]TaskAck, 0, len(p.tasks)),
	}
	for k, v := range cfg.Properties {
		cp.Properties[k] = v
	}
	cp.Properties[PropMode] = p.Mode.String()
	for _, t := range p.tasks {
		a := p.acks[t]
		cp.Tasks = append(cp.Tasks, TaskAck{Task: t, AckTime: p.ackTimes[t], Metrics: a.Metrics})
		cp.StateSize += a.Metrics.StateSize
		cp.CheckpointedSize += a.Metrics.CheckpointedSize
		for _, st := range a.States {
			op := cp.Operators[st.OperatorUID]
			if op == nil {
				mp := cfg.MaxParallelism[t.Vertex]
				if mp == 0 {
					mp = DefaultMaxParallelism
				}
				op = &OperatorState{Parallelism: parallelism[t.Vertex], MaxParallelism: mp}
				cp.Operators[st.OperatorUID] = op
			}
			op.Subtasks = append(op.Subtasks, st)
		}
	}
	for _, op := range cp.Operators {
		slices.SortStableFunc(op.Subtasks, func(a, b OperatorSubtaskState) int { return a.Subtask - b.Subtask })
	}
	return cp
}
