package weir_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/internal/testutil"
)

// quietSource's subtask 0 has nothing to read: its reader blocks until the
// job is cancelled. Every other subtask has no input at all and ends at
// once (a file source with more subtasks than files).
type quietSource struct{}

func (quietSource) CreateReader(ctx weir.SourceContext) (weir.SourceReader[string], error) {
	return quietReader{blocks: ctx.Subtask == 0}, nil
}

type quietReader struct{ blocks bool }

func (r quietReader) Fetch(ctx context.Context, buf []string) ([]string, [][]byte, error) {
	if !r.blocks {
		return buf, nil, io.EOF
	}
	<-ctx.Done()
	return buf, nil, ctx.Err()
}
func (quietReader) Close() error { return nil }

// A source subtask waiting for input that does not come, and one that has
// finished, are idle, not busy: "busy (max)" in the REST API, metrics and
// dashboard must not point at a source with nothing to do.
func TestIdleAndFinishedSourceSubtasksAreIdle(t *testing.T) {
	defer goleak.VerifyNone(t)
	e := env(t)
	weir.FromSource[string](e, quietSource{}, "Quiet").SetParallelism(2).
		Rebalance().SinkTo(&gather[string]{}, "Sink").SetParallelism(1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Execute(ctx, "quiet") }()
	defer func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Execute = %v, want context.Canceled", err)
		}
	}()
	source := func() []graph.SubtaskStatus {
		for _, v := range e.Job().Vertices() {
			if v.Name == "Source: Quiet" || len(v.Operators) > 0 && v.Operators[0].Name == "Quiet" {
				return v.Subtasks
			}
		}
		return nil
	}
	// The rates are sampled once a second; the first sample after the
	// start sets them.
	testutil.Await(t, 60*time.Second, func() bool {
		st := source()
		if len(st) != 2 {
			return false
		}
		for _, s := range st {
			if s.IdleTimeMsPerSecond < 900 || s.BusyTimeMsPerSecond > 100 {
				return false
			}
		}
		return true
	}, func() string {
		var s string
		for _, st := range source() {
			s += fmt.Sprintf(" subtask %d: busy %.0f, idle %.0f, back pressured %.0f ms/s;", st.Subtask, st.BusyTimeMsPerSecond, st.IdleTimeMsPerSecond, st.BackPressuredTimeMsPerSecond)
		}
		return "source subtasks not idle:" + s
	})
}
