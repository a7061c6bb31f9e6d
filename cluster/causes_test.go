package cluster_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/weirstream/weir/cluster"
	"github.com/weirstream/weir/operator"
	"github.com/weirstream/weir/runtime"
)

// quiet wraps an error without printing it, as a type that keeps a
// cause for errors.Is but says something else.
type quiet struct{ err error }

func (q quiet) Error() string { return "storage unavailable" }
func (q quiet) Unwrap() error { return q.err }

// same wraps an error and prints only its cause's text.
type same struct{ err error }

func (s same) Error() string { return s.err.Error() }
func (s same) Unwrap() error { return s.err }

func TestCauseChain(t *testing.T) {
	root := errors.New("value out of range")
	task := &runtime.TaskError{Operator: "Validate", Subtask: 0, Parallelism: 2,
		Err: &operator.OperatorError{Operator: "Validate", Err: fmt.Errorf("reading sensor 7: %w", root)}}
	for _, c := range []struct {
		name string
		err  error
		want []string
	}{
		{"nil", nil, nil},
		{"one error", root, []string{"value out of range"}},
		// The task's text leaves out the operator wrapper; so does the chain.
		{"task failure", task, []string{"Validate (1/2) failed", "reading sensor 7", "value out of range"}},
		{"wrapper printing its cause only", fmt.Errorf("a: %w", same{root}), []string{"a", "value out of range"}},
		{"wrapper hiding its cause", fmt.Errorf("checkpoint 4: %w", quiet{root}), []string{"checkpoint 4", "storage unavailable", "value out of range"}},
		{"joined", fmt.Errorf("closing: %w", errors.Join(errors.New("x"), errors.New("y"))), []string{"closing", "x\ny"}},
		{"colon without a wrapped error", errors.New("a: b"), []string{"a: b"}},
	} {
		if got := cluster.CauseChain(c.err); !slices.Equal(got, c.want) {
			t.Errorf("%s: CauseChain = %q, want %q", c.name, got, c.want)
		}
	}
}
