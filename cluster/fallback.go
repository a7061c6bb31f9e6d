package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/checkpoint/storage"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/runtime"
)

// ErrOutputMayRepeat marks a job that ran to its end after restoring a
// checkpoint older than the newest one that committed output (it fell back
// past damaged checkpoints, or was given an older one), with a sink that
// cannot take back what the newer checkpoints committed: that output may
// appear twice. The command exits 3 with the message, which names the
// sinks and the checkpoints.
var ErrOutputMayRepeat = errors.New("output may repeat")

// repeatError is the error Execute returns, after a run that otherwise
// succeeded, when output may repeat; it wraps ErrOutputMayRepeat.
type repeatError struct{ msg string }

func (e *repeatError) Error() string { return e.msg }
func (e *repeatError) Unwrap() error { return ErrOutputMayRepeat }

// fallback is what a restore of an older checkpoint than the newest that
// committed means for the job's output.
type fallback struct {
	// newest is the newest checkpoint of the restored job that may have
	// committed output (intact or damaged); 0 when unknown.
	newest checkpoint.ID
	// highest is the highest chk-<n> in the restored job's directory,
	// incomplete and damaged ones included.
	highest checkpoint.ID
	// repeats, when not nil, is returned by Execute after a run that
	// otherwise succeeded.
	repeats error
}

// checkFallback decides what restoring res means when newer checkpoints
// than the restored one may have committed output: with
// execution.checkpointing.fallback refuse it refuses to fall back past
// damaged checkpoints (an error wrapping ErrRestore); otherwise it logs
// which checkpoints' output the sinks take back (a warning) or may repeat
// (an error, also returned in fallback.repeats).
func (m *jobManager) checkFallback(ctx context.Context, name string, g *graph.Graph, res *storage.Resolved) (fallback, error) {
	restored := res.Checkpoint
	var damaged []string
	for _, s := range res.Skipped {
		if s.Status == storage.StatusDamaged {
			damaged = append(damaged, s.String())
		}
	}
	if len(damaged) > 0 && config.Get(m.cfg, config.CheckpointFallback) == config.FallbackRefuse {
		return fallback{}, fmt.Errorf("%w: %s; %s is %s, so job %s does not fall back to checkpoint %d: resume from %s by its path, or set %s: %s",
			ErrRestore, strings.Join(damaged, "; "), config.CheckpointFallback.Key(), config.FallbackRefuse,
			name, restored.ID, restored.ExternalPath, config.CheckpointFallback.Key(), config.FallbackAllow)
	}
	var fb fallback
	infos, err := res.Storage.List(ctx, res.Job)
	if err != nil {
		// The restore itself read this storage a moment ago; without a
		// listing nothing is known to be newer.
		m.logger.Warn("cannot list the restored job's checkpoints; assuming none is newer", "job", name, "cause", err)
		return fb, nil
	}
	for _, in := range infos {
		fb.highest = max(fb.highest, in.ID)
		if in.Status != storage.StatusIncomplete {
			fb.newest = max(fb.newest, in.ID)
		}
	}
	if fb.newest <= restored.ID {
		return fb, nil
	}
	why := fmt.Sprintf("checkpoint %d is older than checkpoint %d", restored.ID, fb.newest)
	if len(damaged) > 0 {
		why = "newer checkpoints are damaged"
	}
	span := fmt.Sprintf("checkpoint %d", fb.newest)
	if fb.newest > restored.ID+1 {
		span = fmt.Sprintf("checkpoints %d..%d", restored.ID+1, fb.newest)
	}
	sinks := runtime.SinksWithoutRetraction(g)
	if len(sinks) == 0 {
		m.logger.Warn("restoring an older checkpoint than the newest: the sinks take back what the newer ones committed",
			"job", name, "checkpoint", restored.ID, "newest", fb.newest, "why", why, "taken_back", span)
		return fb, nil
	}
	m.logger.Error("restoring an older checkpoint than the newest: output may repeat",
		"job", name, "checkpoint", restored.ID, "newest", fb.newest, "why", why,
		"sinks", strings.Join(sinks, ", "), "may_repeat", span)
	fb.repeats = &repeatError{msg: fmt.Sprintf(
		"job %s finished, but output may repeat: it restored checkpoint %d (%s), and sink %s cannot take back what %s committed, so that output may appear twice",
		name, restored.ID, why, strings.Join(sinks, ", "), span)}
	return fb, nil
}

// nextCheckpointID is the first ID new checkpoints of job take in st:
// above every chk-<n> there, damaged and incomplete ones included (an
// older run's, or ones a fallback passed over), and above floor, so a
// checkpoint never overwrites another.
func nextCheckpointID(ctx context.Context, st *storage.Storage, job string, floor checkpoint.ID) (checkpoint.ID, error) {
	infos, err := st.List(ctx, job)
	if err != nil {
		return 0, err
	}
	next := floor + 1
	for _, in := range infos {
		next = max(next, in.ID+1)
	}
	return next, nil
}
