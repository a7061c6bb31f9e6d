package weir

import (
	"context"

	"github.com/weirstream/weir/cluster"
	"github.com/weirstream/weir/runtime"
)

// Build plans the job and wires its tasks for one attempt on the
// in-process task manager, without checkpoints or restarts, for the tests
// that drive an attempt by hand (Run on the result executes it). It is a
// test helper: programs call Execute.
func (e *Environment) Build(ctx context.Context, name string) (*runtime.Job, error) {
	g, p, err := e.Plan()
	if err != nil {
		return nil, err
	}
	return cluster.BuildAttempt(ctx, e.job(name, g, p))
}
