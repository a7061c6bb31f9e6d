package cluster

import (
	"context"
	"time"

	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/runtime"
)

// TaskManager deploys the subtasks of one attempt of a job. The embedded
// local run has one, in this process (localTaskManager); a cluster carries
// the same calls to task managers in other processes.
type TaskManager interface {
	Deploy(ctx context.Context, spec runtime.JobSpec) (Attempt, error)
}

// Attempt is one deployed attempt of a job's subtasks, as the job manager
// sees it: what it tells them (checkpoint triggers, completions, aborts,
// the final commit, failure) and what comes back (acknowledgements and
// declines, the end of every input, the attempt's end, the subtasks'
// figures). Its methods other than Run may be called from any goroutine.
type Attempt interface {
	// Run runs the subtasks until they end: nil when every input ended and
	// every sink committed its final output, else the first failure or the
	// cause of cancellation.
	Run() error
	// Done is closed when the attempt is cancelled or a subtask failed;
	// Cause then says why.
	Done() <-chan struct{}
	Cause() error
	// Acks delivers *checkpoint.Ack and *checkpoint.Decline messages.
	Acks() <-chan any
	// InputsEnded is closed once every subtask's input has ended.
	InputsEnded() <-chan struct{}
	TriggerCheckpoint(id int64, at time.Time)
	NotifyCheckpointComplete(id int64)
	AbortCheckpoint(id int64)
	// CommitFinal lets sinks commit their final output, once the final
	// checkpoint is complete.
	CommitFinal()
	// Fail cancels the attempt with cause, unless its sinks already commit
	// their final output.
	Fail(cause error)
	// Status is the live status of the attempt's vertices.
	Status() []graph.VertexStatus
}

// localTaskManager runs subtasks as goroutines of this process.
type localTaskManager struct{}

func (localTaskManager) Deploy(ctx context.Context, spec runtime.JobSpec) (Attempt, error) {
	return runtime.Build(ctx, spec)
}

// VertexStatus, SubtaskStatus and OperatorStatus are the live figures of
// an attempt's vertices, as JobInfo reports them.
type (
	VertexStatus   = graph.VertexStatus
	SubtaskStatus  = graph.SubtaskStatus
	OperatorStatus = graph.OperatorStatus
)
