package runtime

import (
	"errors"
	"fmt"

	"github.com/weirstream/weir/operator"
)

// NodeImpl builds the operator of one graph node for one subtask. It is what
// the API stores in graph.Node.Impl.
type NodeImpl interface {
	// Build creates the operator. out is an operator.Output[O] for the node's output
	// type (nil for a sink); inputs holds one operator.Output[I] per input edge, which
	// the runtime feeds (a source returns none).
	Build(ctx *operator.Context, out any) (inputs []any, op operator.Operator, err error)
	// OutType describes the output record type; nil for a sink.
	OutType() TypeInfo
	// InType describes the record type of input i.
	InType(i int) TypeInfo
}

// TaskError is how a subtask fails: which operator, which subtask, why.
type TaskError struct {
	Operator    string
	Subtask     int
	Parallelism int
	Err         error
}

func (e *TaskError) Error() string {
	cause := e.Err
	var oe *operator.OperatorError
	if errors.As(e.Err, &oe) {
		cause = oe.Err
	}
	return fmt.Sprintf("%s (%d/%d) failed: %v", e.Operator, e.Subtask+1, e.Parallelism, cause)
}

func (e *TaskError) Unwrap() error { return e.Err }
