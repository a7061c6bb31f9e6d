package operator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/internal/keygroup"
)

// Output receives the records an operator emits. Collect is called on the
// subtask's goroutine; an error (from this operator or any operator after it
// in the chain) fails the task. The record's event timestamp, if any, is in
// the subtask's RecordContext.
//
// EmitWatermark passes event time on, in order with the records: an
// operator that keeps event-time state (windows, timers) acts on it first
// (fires what is due), then forwards it; others forward it at once.
type Output[T any] interface {
	Collect(v T) error
	EmitWatermark(wm Watermark) error
}

// Operator is the lifecycle of one operator instance of a chain.
//
// Open is called before any record arrives, tail of the chain first, so an
// operator's consumers are ready before it emits. Finish is called once at
// the end of a bounded input, head first, and may emit final records. Close
// is called once at the end, also after a failure, and releases resources.
type Operator interface {
	Open() error
	Finish() error
	Close() error
}

// Context is what an operator instance knows of where it runs. The
// runtime fills it in for each operator of each subtask.
type Context struct {
	// Context lives as long as the subtask: goroutines an operator starts
	// must stop when it is done, and be joined in Close.
	Context        context.Context
	Node           *graph.Node
	Subtask        int
	Parallelism    int
	MaxParallelism int
	// KeyGroups are the key groups this subtask owns (keyed operators).
	KeyGroups keygroup.Range
	Logger    *slog.Logger
	// Restore is the state to start from; nil on a fresh start.
	Restore *OperatorRestore
	// Record is the current record's event timestamp, shared by the chain.
	Record *RecordContext
	// Timers schedules work on the subtask's goroutine.
	Timers ProcessingTimeService
	// SideOutputs holds, by tag, an Output[X] for each side output some
	// operator reads; an operator emitting to a tag that is absent drops
	// the record (nobody asked for it). Watermarks must reach them too.
	SideOutputs map[string]any
	// StateBackend configures a keyed operator's state backend.
	StateBackend StateBackendConfig
	// LocalDir is this operator subtask's own directory for local state
	// (created on demand; stable across restarts of the job in this
	// process, which local recovery relies on).
	LocalDir string
	// Task is the subtask the operator runs in, set by the runtime: it
	// keeps the hooks the operator registers.
	Task TaskHooks
	// Metrics are the operator's own figures, which the runtime exports
	// in Flink's operator scope; read them through OperatorMetrics.
	Metrics *Metrics
}

// TaskHooks is the runtime's side of the hooks an operator registers.
type TaskHooks interface {
	OnClose(f func())
	OnCheckpointComplete(f func(id int64))
}

// StateBackendConfig is what a keyed operator needs to build its state
// backend.
type StateBackendConfig struct {
	Type          string // config.HashMapBackend or config.PebbleBackend
	LocalRecovery bool   // keep a local copy of each checkpoint's state
	// WriteBufferSize and BlockCacheSize size a pebble database's memtable
	// and block cache, in bytes.
	WriteBufferSize, BlockCacheSize int64
	// StateCacheSize bounds a pebble database's write-back entry cache.
	StateCacheSize int64
	// HeapBudget is the live heap beyond which the heap backend fails the
	// job; 0 means no limit. HeapBudgetFrom says where it comes from.
	HeapBudget     int64
	HeapBudgetFrom string
}

// OnClose registers f to run when the subtask ends (also after a failure),
// after every operator closed and every asynchronous checkpoint part
// finished: the place to delete local files a snapshot may still read.
func (c *Context) OnClose(f func()) { c.Task.OnClose(f) }

// OnCheckpointComplete registers f to run on the subtask's goroutine when a
// checkpoint completes.
func (c *Context) OnCheckpointComplete(f func(id int64)) { c.Task.OnCheckpointComplete(f) }

// SideOutput returns the side output for tag as an Output[X], or nil when
// no operator reads it.
func SideOutput[X any](ctx *Context, tag string) Output[X] {
	o, ok := ctx.SideOutputs[tag]
	if !ok {
		return nil
	}
	return o.(Output[X])
}

// TaskName is "Name (i/p)" with a 1-based subtask index, as Flink prints.
func (c *Context) TaskName() string {
	return fmt.Sprintf("%s (%d/%d)", c.Node.Name, c.Subtask+1, c.Parallelism)
}

// OperatorError attributes a failure to the operator whose function failed.
type OperatorError struct {
	Operator string
	Err      error
}

func (e *OperatorError) Error() string { return e.Operator + ": " + e.Err.Error() }
func (e *OperatorError) Unwrap() error { return e.Err }

// WrapOperatorError attributes err to operator name unless an operator
// further down the chain already claimed it.
func WrapOperatorError(name string, err error) error {
	if err == nil {
		return nil
	}
	var oe *OperatorError
	if errors.As(err, &oe) {
		return err
	}
	return &OperatorError{Operator: name, Err: err}
}

// NodeImpl builds the operator of one graph node for one subtask. It is what
// the API stores in graph.Node.Impl, and what the runtime builds each
// subtask's chain from.
type NodeImpl interface {
	// Build creates the operator. out is an operator.Output[O] for the node's output
	// type (nil for a sink); inputs holds one operator.Output[I] per input edge, which
	// the runtime feeds (a source returns none).
	Build(ctx *Context, out any) (inputs []any, op Operator, err error)
	// OutType describes the output record type; nil for a sink.
	OutType() TypeInfo
	// InType describes the record type of input i.
	InType(i int) TypeInfo
}

// StepResult is what one step of an Input did.
type StepResult int

const (
	StepNone StepResult = iota // nothing available now
	StepMore                   // made progress; call again
	StepEnd                    // the input has ended
)

// Input is where a subtask's records come from: the network input gate, or
// a source operator (the head of its chain) that implements it. Step hands
// what is available to the chain and never blocks; Available delivers a
// token when Step may have more to do. Both run on the subtask's
// goroutine.
type Input interface {
	Step() (StepResult, error)
	Available() <-chan struct{}
}
