package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/checkpoint/storage"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/runtime"
)

// Job states, with Flink's names.
const (
	StateCreated    = "CREATED"
	StateRunning    = "RUNNING"
	StateRestarting = "RESTARTING"
	StateFailed     = "FAILED"
	StateCanceled   = "CANCELED"
	StateFinished   = "FINISHED"
)

// ErrNotRunning is returned by JobInfo.Cancel for a job that has ended.
var ErrNotRunning = errors.New("job is not running")

// Exception is one failure of a job: what failed, when, and in which
// attempt.
type Exception struct {
	Time    time.Time
	Task    string // "Split (1/2)", or "" when no task is to blame
	Message string
	// Causes is the failure's chain of causes, outermost first and root
	// cause last (CauseChain).
	Causes  []string
	Attempt int
	// Final is true for the failure that ended the job.
	Final bool
}

// CheckpointConfig is the job's checkpointing configuration as it runs.
type CheckpointConfig struct {
	Enabled           bool
	Interval          time.Duration
	Timeout           time.Duration
	MinPause          time.Duration
	MaxConcurrent     int
	Mode              string
	Retention         string
	NumRetained       int
	TolerableFailures int
	Dir               string
	Unaligned         bool
	StateBackend      string
}

// JobConfig is the job's execution configuration as it runs, for the REST
// API's /jobs/:jobid/config.
type JobConfig struct {
	// Parallelism is parallelism.default; MaxParallelism is
	// pipeline.max-parallelism, the number of key groups.
	Parallelism, MaxParallelism int
	// RestartStrategy is restart-strategy.type as it applies ("disable",
	// "fixed-delay", "exponential-delay", ...).
	RestartStrategy string
	// Options are the explicitly set options, canonical key to value, with
	// secrets masked and the queries of URL locations dropped.
	Options map[string]string
}

// JobInfo is the live, read-only view of a job that Execute runs, for the
// REST API, the dashboard and metrics. All methods are safe for concurrent
// use.
type JobInfo struct {
	mu struct {
		sync.Mutex
		name       string
		state      string
		start, end time.Time
		restarts   int
		restart    restartTimes // for RestartingTime
		exceptions []Exception
		job        Attempt // the running attempt; nil between attempts
		vertices   []graph.VertexStatus
		stats      *checkpoint.Stats
		config     CheckpointConfig
		jobConfig  JobConfig
		cancel     context.CancelCauseFunc
		// driver is the current attempt's checkpoint driver; nil when
		// none runs.
		driver *driverHandle
		// triggers are the results of TriggerCheckpoint's requests, by
		// request ID; triggerOrder their IDs, oldest first.
		triggers     map[string]*TriggerResult
		triggerOrder []string
	}
	id string
}

const maxExceptions = 100

// NewJobInfo returns the view of a job not started yet, with a new ID.
func NewJobInfo() *JobInfo {
	var b [16]byte
	rand.Read(b[:])
	j := &JobInfo{id: hex.EncodeToString(b[:])}
	j.mu.state = StateCreated
	return j
}

// ID is the job's ID: 32 hexadecimal digits, as Flink's.
func (j *JobInfo) ID() string { return j.id }

// Name is the job's name.
func (j *JobInfo) Name() string { j.mu.Lock(); defer j.mu.Unlock(); return j.mu.name }

// State is the job's state (StateRunning, ...).
func (j *JobInfo) State() string { j.mu.Lock(); defer j.mu.Unlock(); return j.mu.state }

// Times are when the job started and ended (zero while it runs).
func (j *JobInfo) Times() (start, end time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.mu.start, j.mu.end
}

// Restarts is how many times the job restarted.
func (j *JobInfo) Restarts() int { j.mu.Lock(); defer j.mu.Unlock(); return j.mu.restarts }

// Exceptions lists the job's failures, newest first.
func (j *JobInfo) Exceptions() []Exception {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]Exception, len(j.mu.exceptions))
	for i, e := range j.mu.exceptions {
		out[len(out)-1-i] = e
	}
	return out
}

// Vertices returns the job's vertices with their live figures (the last
// known ones between attempts and after the end).
func (j *JobInfo) Vertices() []graph.VertexStatus {
	j.mu.Lock()
	job, v := j.mu.job, j.mu.vertices
	j.mu.Unlock()
	if job != nil {
		return job.Status()
	}
	return v
}

// CheckpointStats returns the coordinator's statistics; false when
// checkpointing is off or nothing happened yet.
func (j *JobInfo) CheckpointStats() (checkpoint.Stats, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.mu.stats == nil {
		return checkpoint.Stats{}, false
	}
	return *j.mu.stats, true
}

// CheckpointConfig is the job's checkpointing configuration.
func (j *JobInfo) CheckpointConfig() CheckpointConfig {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.mu.config
}

// JobConfig is the job's execution configuration; the zero JobConfig
// before the job starts.
func (j *JobInfo) JobConfig() JobConfig {
	j.mu.Lock()
	defer j.mu.Unlock()
	c := j.mu.jobConfig
	c.Options = maps.Clone(c.Options)
	return c
}

// Cancel stops the running job; Execute then returns context.Canceled.
func (j *JobInfo) Cancel() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.mu.cancel == nil || !j.mu.end.IsZero() {
		return fmt.Errorf("%w (%s)", ErrNotRunning, j.mu.state)
	}
	j.mu.cancel(context.Canceled)
	return nil
}

func (j *JobInfo) started(name string, cfg CheckpointConfig, cancel context.CancelCauseFunc) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.mu.name, j.mu.config, j.mu.cancel = name, cfg, cancel
	j.mu.start, j.mu.state = time.Now(), StateRunning
}

func (j *JobInfo) configured(c JobConfig) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.mu.jobConfig = c
}

// sensitiveKeys are the parts of an option's key that mark its value
// secret, as Flink's GlobalConfiguration.isSensitive.
var sensitiveKeys = []string{"password", "secret", "token", "apikey", "api-key", "account.key", "auth-params", "service-key", "basic-auth", "jaas.config", "http-headers", "credential"}

// newJobConfig reads c's execution configuration, secrets masked.
func newJobConfig(c *config.Config) JobConfig {
	jc := JobConfig{
		Parallelism:     config.Get(c, config.DefaultParallelism),
		MaxParallelism:  config.Get(c, config.MaxParallelism),
		RestartStrategy: config.RestartStrategyType(c),
		Options:         c.Map(),
	}
	for k, v := range jc.Options {
		lk := strings.ToLower(k)
		if slices.ContainsFunc(sensitiveKeys, func(s string) bool { return strings.Contains(lk, s) }) {
			jc.Options[k] = "******"
		} else {
			jc.Options[k] = storage.Redact(v)
		}
	}
	return jc
}

func (j *JobInfo) attempt(job Attempt) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.mu.job, j.mu.state = job, StateRunning
	j.mu.restart.running = time.Now()
}

func (j *JobInfo) attemptEnded(job Attempt) {
	v := job.Status()
	j.mu.Lock()
	defer j.mu.Unlock()
	j.mu.job, j.mu.vertices = nil, v
}

func (j *JobInfo) failed(cause error, attempt int, final bool) {
	e := Exception{Time: time.Now(), Message: cause.Error(), Causes: CauseChain(cause), Attempt: attempt, Final: final}
	var te *runtime.TaskError
	if errors.As(cause, &te) {
		e.Task = fmt.Sprintf("%s (%d/%d)", te.Operator, te.Subtask+1, te.Parallelism)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.mu.exceptions = append(j.mu.exceptions, e)
	if len(j.mu.exceptions) > maxExceptions {
		j.mu.exceptions = j.mu.exceptions[1:]
	}
	if !final {
		j.mu.restarts++
		j.mu.state = StateRestarting
		j.mu.restart.restarting = e.Time
	}
}

func (j *JobInfo) checkpointStats(s checkpoint.Stats) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.mu.stats = &s
	j.resolveTriggers(&s)
}

func (j *JobInfo) ended(err error, cancelled bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.mu.end = time.Now()
	for _, r := range j.mu.triggers {
		if r.Status == TriggerInProgress {
			r.Status, r.Err = TriggerCompleted, fmt.Errorf("checkpoint %d did not complete before the job ended", r.Checkpoint)
		}
	}
	switch {
	case err == nil:
		j.mu.state = StateFinished
	case cancelled:
		j.mu.state = StateCanceled
	default:
		j.mu.state = StateFailed
	}
}
