package runtime

import (
	"errors"
	"fmt"

	"github.com/weirstream/weir/operator"
)

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
