package diagnosis

import (
	"time"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/graph"
)

// Input is what Explain looks at.
type Input struct {
	// Checkpoint is the checkpoint to explain (from checkpoint.Stats).
	Checkpoint checkpoint.CheckpointStats
	// Interval is execution.checkpointing.interval; Timeout its timeout.
	Interval, Timeout time.Duration
	// Vertices are the job's vertices with their live figures at about the
	// time of the checkpoint (rates, busy/backpressured/idle per subtask,
	// records per subtask); nil when unknown (a finished job's retained
	// statistics).
	Vertices []graph.VertexStatus
	// SlowShare: a completed checkpoint whose end-to-end duration exceeds
	// SlowShare × Interval is explained too (0 means 0.5).
	SlowShare float64
}

// Finding is the explanation of one checkpoint.
type Finding struct {
	Checkpoint checkpoint.ID
	// Summary is one sentence for a person: what happened and the main
	// cause, e.g. "Checkpoint 7 expired after 10m0s: the barrier waited
	// behind backpressured data for 9m58s; vertex Sink (2/2) is the
	// bottleneck."
	Summary string
	// Causes and Advice are further sentences, most important first.
	Causes []string
	Advice []string
	// Cause is the main cause in one word, for machines (REST, metrics,
	// logs): one of the Cause* constants.
	Cause string
	// Bottleneck is the vertex ID causing backpressure (-1 if none), Late
	// the subtasks that acknowledged late or never, HotSubtask the skewed
	// subtask (-1 if none), each for the dashboard to highlight.
	Bottleneck int
	Late       []checkpoint.SubtaskKey
	HotVertex  int
	HotSubtask int
}

// Explain explains in's checkpoint if it expired, failed, was declined, or
// completed slower than SlowShare × Interval; ok is false when there is
// nothing to explain.
func Explain(in Input) (f Finding, ok bool) {
	return explain(in)
}
