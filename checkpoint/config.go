package checkpoint

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Defaults, as in Flink.
const (
	DefaultTimeout        = 10 * time.Minute // execution.checkpointing.timeout
	DefaultMaxConcurrent  = 1                // execution.checkpointing.max-concurrent-checkpoints
	DefaultNumRetained    = 1                // state.checkpoints.num-retained
	DefaultMaxParallelism = 128              // pipeline.max-parallelism when unset
	DefaultHistorySize    = 64               // checkpoints kept in Stats.History
	// UnlimitedFailures as TolerableFailures: checkpoint failures never fail
	// the job.
	UnlimitedFailures = math.MaxInt
	// maxMinPause caps MinPause, as Flink does, to keep time arithmetic sane.
	maxMinPause = 365 * 24 * time.Hour
	// recentAborted is how many aborted checkpoint IDs are remembered to tell
	// a late acknowledgement (its files are discarded) from a stray one.
	recentAborted = 16
)

// RestoreMode says who owns the checkpoint a job was restored from (Flink's
// execution.state-recovery.claim-mode).
type RestoreMode uint8

const (
	// NoClaim: the restored checkpoint stays the user's; the coordinator
	// never discards it. Flink's default.
	NoClaim RestoreMode = iota
	// Claim: the restored checkpoint joins the retained checkpoints and is
	// discarded when subsumed, like one this job took.
	Claim
)

// CoordinatorConfig configures a Coordinator. The zero value of every field
// is the Flink default (Interval 0 turns periodic checkpoints off).
type CoordinatorConfig struct {
	// Job names the job in errors and in the metadata (CompletedCheckpoint.Job).
	Job string
	// Interval between periodic checkpoints; 0 turns them off (manual
	// triggers still work). Raised to MinPause when smaller, as Flink does.
	Interval time.Duration
	// Timeout after which a pending checkpoint expires; 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// MinPause is the least time between the completion of one checkpoint
	// and the periodic trigger of the next; 0 means none.
	MinPause time.Duration
	// MaxConcurrent bounds checkpoints in progress (savepoints are not
	// bounded); 0 means DefaultMaxConcurrent.
	MaxConcurrent int
	// TolerableFailures is how many consecutive counted checkpoint failures
	// are tolerated; one more fails the job. 0 (Flink's default) fails the
	// job at the first counted failure; UnlimitedFailures never does.
	TolerableFailures int
	// NumRetained is how many completed checkpoints are kept; older ones
	// are discarded. 0 means DefaultNumRetained.
	NumRetained int
	// Mode is carried in every trigger and recorded in the metadata.
	Mode Mode
	// RestoreMode decides whether the restored checkpoint may be discarded.
	RestoreMode RestoreMode
	// NextID, when greater than the restored checkpoint's ID, is the first ID
	// to use (for an ID counter kept elsewhere, e.g. in etcd under HA).
	NextID ID
	// Properties are copied into every CompletedCheckpoint; the coordinator
	// adds PropMode.
	Properties map[string]string
	// MaxParallelism per job vertex, recorded for every operator of that
	// vertex; a vertex not listed gets DefaultMaxParallelism.
	MaxParallelism map[int]int
	// TaskName gives a subtask a human name for errors and statistics, like
	// "Sink (2/2)". Nil names it "vertex V (S/P)".
	TaskName func(SubtaskKey) string
	// HistorySize bounds Stats.History; 0 means DefaultHistorySize.
	HistorySize int
}

// Validate refuses a configuration that makes no sense, naming the Flink
// option. NewCoordinator panics on a configuration Validate refuses.
func (c *CoordinatorConfig) Validate() error {
	var errs []error
	neg := func(d time.Duration, option string) {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative, got %s", option, d))
		}
	}
	neg(c.Interval, "execution.checkpointing.interval")
	neg(c.Timeout, "execution.checkpointing.timeout")
	neg(c.MinPause, "execution.checkpointing.min-pause")
	if c.MaxConcurrent < 0 {
		errs = append(errs, fmt.Errorf("execution.checkpointing.max-concurrent-checkpoints must be at least 1, got %d", c.MaxConcurrent))
	}
	if c.TolerableFailures < 0 {
		errs = append(errs, fmt.Errorf("execution.checkpointing.tolerable-failed-checkpoints must not be negative, got %d", c.TolerableFailures))
	}
	if c.NumRetained < 0 {
		errs = append(errs, fmt.Errorf("state.checkpoints.num-retained must be at least 1, got %d", c.NumRetained))
	}
	if c.Mode != ExactlyOnce && c.Mode != AtLeastOnce {
		errs = append(errs, fmt.Errorf("execution.checkpointing.mode: unknown mode %d", c.Mode))
	}
	if c.RestoreMode != NoClaim && c.RestoreMode != Claim {
		errs = append(errs, fmt.Errorf("execution.state-recovery.claim-mode: unknown mode %d", c.RestoreMode))
	}
	for v, mp := range c.MaxParallelism {
		if mp < 1 || mp > 1<<15 {
			errs = append(errs, fmt.Errorf("pipeline.max-parallelism of vertex %d must be in [1, 32768], got %d", v, mp))
		}
	}
	if c.HistorySize < 0 {
		errs = append(errs, fmt.Errorf("web.checkpoints.history must not be negative, got %d", c.HistorySize))
	}
	return errors.Join(errs...)
}

// normalized returns c with defaults filled in.
func (c CoordinatorConfig) normalized() CoordinatorConfig {
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxConcurrent == 0 {
		c.MaxConcurrent = DefaultMaxConcurrent
	}
	if c.NumRetained == 0 {
		c.NumRetained = DefaultNumRetained
	}
	if c.HistorySize == 0 {
		c.HistorySize = DefaultHistorySize
	}
	c.MinPause = min(c.MinPause, maxMinPause)
	if c.Interval > 0 && c.Interval < c.MinPause {
		c.Interval = c.MinPause
	}
	return c
}
