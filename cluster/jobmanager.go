package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/checkpoint/storage"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/diagnosis"
	"github.com/weirstream/weir/failover"
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/operator"
	"github.com/weirstream/weir/runtime"
	"github.com/weirstream/weir/state"
)

// ErrRestore marks a checkpoint the job refuses to start from; the message
// says which and why.
var ErrRestore = errors.New("cannot restore")

// storageAdapter binds checkpoint storage to one job.
type storageAdapter struct {
	st  *storage.Storage
	job string
}

func (a storageAdapter) WriteState(ctx context.Context, id int64, name string, data []byte) (checkpoint.FileRef, error) {
	return a.st.WriteStateBytes(ctx, a.job, checkpoint.ID(id), name, data)
}
func (a storageAdapter) ReadState(ctx context.Context, ref checkpoint.FileRef) ([]byte, error) {
	b, err := a.st.ReadStateFile(ctx, a.job, ref)
	return b, transient(err)
}
func (a storageAdapter) WriteMetadata(ctx context.Context, cp *checkpoint.CompletedCheckpoint) error {
	return a.st.WriteMetadata(ctx, a.job, cp)
}
func (a storageAdapter) WriteStateFrom(ctx context.Context, id int64, name string, r io.Reader) (checkpoint.FileRef, error) {
	return a.st.WriteStateFile(ctx, a.job, checkpoint.ID(id), name, r)
}
func (a storageAdapter) WriteShared(ctx context.Context, id int64, name string, r io.Reader) (checkpoint.FileRef, error) {
	return a.st.WriteSharedFile(ctx, a.job, storage.SharedName(checkpoint.ID(id), name), r)
}
func (a storageAdapter) OpenState(ctx context.Context, _ int64, ref checkpoint.FileRef) (io.ReadCloser, error) {
	r, err := a.st.OpenStateFile(ctx, a.job, ref)
	return r, transient(err)
}

// Discard deletes checkpoint id, then the shared files (of incremental
// checkpoints) that no checkpoint left references.
func (a storageAdapter) Discard(ctx context.Context, id int64) error {
	if err := a.st.Discard(ctx, a.job, checkpoint.ID(id)); err != nil {
		return err
	}
	_, err := a.st.CollectShared(ctx, a.job, false)
	return err
}

// checkRestore refuses a checkpoint whose state does not fit the job.
func checkRestore(cp *checkpoint.CompletedCheckpoint, g *graph.Graph, maxP int, backend string, allowNonRestored bool) error {
	where := fmt.Sprintf("checkpoint %d", cp.ID)
	if cp.ExternalPath != "" {
		where += " (" + cp.ExternalPath + ")"
	}
	if v := cp.Properties[checkpoint.PropMaxParallelism]; v != "" && v != fmt.Sprint(maxP) {
		return fmt.Errorf("%w: %s was taken with pipeline.max-parallelism %s and the job now has %d; key groups cannot be remapped, so keep the same max parallelism", ErrRestore, where, v, maxP)
	}
	if b := cp.Properties[checkpoint.PropStateBackend]; b != "" && b != backendProp(backend) {
		return fmt.Errorf("%w: %s was written by the %s state backend and this job uses %s; state is not converted between backends, so set %s: %s to resume from it",
			ErrRestore, where, b, backend, config.StateBackendType.Key(), configBackend(b))
	}
	uids := map[string]bool{}
	for _, n := range g.Nodes {
		uids[n.UID] = true
	}
	var missing []string
	for uid, os := range cp.Operators {
		if !uids[uid] && hasState(os) {
			missing = append(missing, uid)
		}
	}
	if len(missing) > 0 && !allowNonRestored {
		return fmt.Errorf("%w: %s holds state of operators the job no longer has (UIDs %s); give those operators back their UIDs, or pass --allow-non-restored-state to drop that state", ErrRestore, where, strings.Join(missing, ", "))
	}
	return nil
}

// backendProp is the PropStateBackend value of a state.backend.type.
func backendProp(t string) string {
	if t == config.PebbleBackend {
		return "pebble"
	}
	return "heap"
}

// configBackend is the state.backend.type of a PropStateBackend value.
func configBackend(prop string) string {
	if prop == "pebble" {
		return config.PebbleBackend
	}
	return config.HashMapBackend
}

func hasState(os *checkpoint.OperatorState) bool {
	for _, s := range os.Subtasks {
		if len(s.Keyed) > 0 || len(s.Operator) > 0 {
			return true
		}
	}
	return false
}

// Job is a planned job as the API hands it to the job manager.
type Job struct {
	// Name is the job's name; pipeline.name, when set, takes its place.
	Name  string
	Graph *graph.Graph
	Plan  *graph.Plan
	// Config holds the job's options; nil means the defaults.
	Config *config.Config
	// Logger receives the job's logs; nil means slog.Default.
	Logger *slog.Logger
	// Info, when set, receives the job's live view (state, attempts,
	// vertices, checkpoint statistics, exceptions) and lets others cancel
	// it.
	Info *JobInfo
	// RestorePath is where the job starts from (--from-checkpoint): a
	// chk-<n> directory, its _metadata file, a job directory, RestoreLatest
	// or RestoreLatestOrFresh; empty for a fresh start.
	RestorePath string
	// AllowNonRestored drops state of operators the job no longer has
	// instead of refusing the checkpoint (--allow-non-restored-state).
	AllowNonRestored bool
	// Clock is the subtasks' processing time; nil means the system clock.
	// Tests set one they advance by hand.
	Clock operator.Clock
	// TaskManagers, when set, runs the job's attempts on a cluster's task
	// managers (a JobManagerServer) instead of in this process.
	TaskManagers TaskManager
}

// jobManager runs one job: Run's state, on Run's goroutine.
type jobManager struct {
	cfg              *config.Config
	logger           *slog.Logger
	info             *JobInfo
	restorePath      string
	allowNonRestored bool
	clock            operator.Clock
	cluster          bool // a cluster's job manager: its options apply
}

func newJobManager(job Job) *jobManager {
	m := &jobManager{cfg: job.Config, logger: job.Logger, info: job.Info, restorePath: job.RestorePath, allowNonRestored: job.AllowNonRestored,
		clock: job.Clock}
	if m.cfg == nil {
		m.cfg = config.New()
	}
	if m.logger == nil {
		m.logger = slog.Default()
	}
	if m.info == nil {
		m.info = NewJobInfo()
	}
	return m
}

// Run is the job manager of the embedded local run: it runs job with one
// in-process task manager until its bounded sources end, it fails for good
// (the restart strategy gave up), or ctx is cancelled. With
// execution.checkpointing.interval set it takes checkpoints, and each
// restart resumes from the latest completed one.
//
// With minicluster.number-of-taskmanagers above 1, the attempts run on that
// many task managers in this process, joined by the TCP data plane.
func Run(ctx context.Context, job Job) error {
	m := newJobManager(job)
	if job.TaskManagers != nil {
		m.cluster = true
		return m.run(ctx, job.Name, job.Graph, job.Plan, job.TaskManagers)
	}
	if n := config.Get(m.cfg, config.MiniClusterTaskManagers); n > 1 {
		tms, err := newLoopbackTaskManagers(n, m.logger)
		if err != nil {
			return err
		}
		defer tms.Close()
		return m.run(ctx, job.Name, job.Graph, job.Plan, tms)
	}
	return m.run(ctx, job.Name, job.Graph, job.Plan, localTaskManager{})
}

// BuildAttempt wires the tasks of job for one attempt on the in-process
// task manager, without checkpoints or restarts, for tests that drive an
// attempt by hand; Run on the result executes it.
func BuildAttempt(ctx context.Context, job Job) (*runtime.Job, error) {
	m := newJobManager(job)
	spec, err := m.spec(job.Name, job.Graph, job.Plan)
	if err != nil {
		return nil, err
	}
	return runtime.Build(ctx, spec)
}

func (m *jobManager) run(ctx context.Context, name string, g *graph.Graph, p *graph.Plan, tm TaskManager) error {
	name = jobName(m.cfg, name)
	strategy, err := failover.FromConfig(m.cfg)
	if err != nil {
		return err
	}
	unused := config.Unused
	if m.cluster {
		unused = config.UnusedInCluster
	}
	for _, w := range unused(m.cfg) {
		m.logger.Warn(w, "job", name)
	}
	c := m.cfg
	maxP := config.Get(c, config.MaxParallelism)
	spec, err := m.spec(name, g, p)
	if err != nil {
		return err
	}
	interval, checkpointing := config.Lookup(c, config.CheckpointingInterval)
	if config.Get(c, config.StateBackendType) == config.PebbleBackend {
		dir, err := localStateDir(c, name, m.logger)
		if err != nil {
			return err
		}
		defer dir.Close()
		spec.LocalStateDir = dir.Path
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	info := m.info
	info.configured(newJobConfig(c))
	info.started(name, CheckpointConfig{
		Enabled: checkpointing, Interval: interval,
		Timeout:           config.Get(c, config.CheckpointingTimeout),
		MinPause:          config.Get(c, config.MinPauseBetweenCheckpoints),
		MaxConcurrent:     config.Get(c, config.MaxConcurrentCheckpoints),
		Mode:              config.Get(c, config.CheckpointingMode),
		Retention:         config.Get(c, config.ExternalizedCheckpointRetention),
		NumRetained:       config.Get(c, config.MaxRetainedCheckpoints),
		TolerableFailures: config.Get(c, config.TolerableFailedCheckpoints),
		Dir:               storage.Redact(config.Get(c, config.CheckpointsDirectory)),
		Unaligned:         config.Get(c, config.UnalignedCheckpointsEnabled),
		StateBackend:      config.Get(c, config.StateBackendType),
	}, cancel)
	explained := checkpoint.ID(0)
	timeout := config.Get(c, config.CheckpointingTimeout)
	onStats := func(st checkpoint.Stats) {
		info.checkpointStats(st)
		explained = m.logDiagnoses(name, st, explained, interval, timeout)
	}
	var coord *checkpoint.Coordinator // with checkpointing; owned by the attempts' drivers in turn
	var st *storage.Storage
	var restored *checkpoint.CompletedCheckpoint
	dir := config.Get(c, config.CheckpointsDirectory)
	if checkpointing || m.restorePath == RestoreLatest || m.restorePath == RestoreLatestOrFresh {
		if err := checkDirectory(dir); err != nil {
			return err
		}
	}
	if checkpointing {
		unlock, err := lockJobDir(dir, name)
		if err != nil {
			return err
		}
		defer unlock()
	}
	var restoredFrom *storage.Resolved // open while the job runs, with checkpointing
	var fb fallback                    // what restoring an older checkpoint than the newest means
	var res *storage.Resolved
	if m.restorePath != "" {
		if res, err = m.resolveRestore(ctx, name, g, dir); err != nil {
			return err
		}
	}
	if res != nil {
		// Before anything is logged: a refusal to fall back is one line.
		if fb, err = m.checkFallback(ctx, name, g, res); err != nil {
			res.Storage.Close()
			return err
		}
		for _, s := range res.Skipped {
			m.logger.Warn("skipping damaged checkpoint", "job", name, "checkpoint", s.String())
		}
		restored = res.Checkpoint
		if err := checkRestore(restored, g, maxP, config.Get(c, config.StateBackendType), m.allowNonRestored); err != nil {
			res.Storage.Close()
			return err
		}
		spec.RestoreNewest = int64(fb.newest)
		m.logger.Info("restoring", "job", name, "checkpoint", restored.ID, "path", restored.ExternalPath)
		if !checkpointing {
			st, spec.Storage = res.Storage, storageAdapter{res.Storage, res.Job}
		} else {
			restoredFrom = res
			defer res.Storage.Close()
		}
	}
	if checkpointing {
		if st, err = storage.Open(ctx, dir); err != nil {
			return transient(fmt.Errorf("checkpoint storage %s: %w", storage.Redact(dir), err))
		}
		if err := checkOwnDirectory(ctx, st, name, g); err != nil {
			st.Close()
			return err
		}
		claim := ownCheckpoint(st, name, restored)
		if claim {
			m.discardBeyondRetention(ctx, st, name, restored)
		}
		if restored == nil {
			// A fresh start: a marker of an earlier run's finish no
			// longer holds.
			if err := st.ClearFinished(ctx, name); err != nil {
				st.Close()
				return transient(err)
			}
		}
		spec.Storage = storageAdapter{st, name}
		if restoredFrom != nil {
			// The restored checkpoint's state files are read through the
			// storage it was resolved in (its own job directory, and the
			// URL options its location came with); new checkpoints and
			// later restarts use this job's storage.
			spec.Storage = restoreThen{read: storageAdapter{restoredFrom.Storage, restoredFrom.Job}, storageAdapter: storageAdapter{st, name}, restoredID: restored.ID}
		}
		all, sources := runtime.Tasks(g, p)
		mode := checkpoint.ExactlyOnce
		if config.Get(c, config.CheckpointingMode) == config.AtLeastOnce {
			mode = checkpoint.AtLeastOnce
		}
		spec.Mode = mode
		names := map[checkpoint.SubtaskKey]string{}
		for _, k := range all {
			v := p.Vertices[k.Vertex]
			names[k] = fmt.Sprintf("%s (%d/%d)", v.Name, k.Subtask+1, v.Parallelism)
		}
		props := map[string]string{
			checkpoint.PropMode:           mode.String(),
			checkpoint.PropMaxParallelism: fmt.Sprint(maxP),
			checkpoint.PropStateBackend:   backendProp(config.Get(c, config.StateBackendType)),
			checkpoint.PropInterval:       interval.String(),
		}
		for _, v := range p.Vertices {
			props[fmt.Sprint(checkpoint.PropVertexPrefix, v.ID)] = v.Name
		}
		identityProps(g, props)
		restoreMode := checkpoint.NoClaim
		if claim {
			restoreMode = checkpoint.Claim
		}
		// New checkpoints never reuse an ID in storage (a damaged one a
		// fallback passed over, an earlier run's).
		nextID, err := nextCheckpointID(ctx, st, name, fb.highest)
		if err != nil {
			st.Close()
			return transient(fmt.Errorf("checkpoint storage %s: %w", storage.Redact(dir), err))
		}
		spec.Checkpointing = true
		coord = checkpoint.NewCoordinator(checkpoint.CoordinatorConfig{
			Job:               name,
			Interval:          interval,
			Timeout:           config.Get(c, config.CheckpointingTimeout),
			MinPause:          config.Get(c, config.MinPauseBetweenCheckpoints),
			MaxConcurrent:     config.Get(c, config.MaxConcurrentCheckpoints),
			TolerableFailures: config.Get(c, config.TolerableFailedCheckpoints),
			NumRetained:       config.Get(c, config.MaxRetainedCheckpoints),
			Mode:              mode,
			RestoreMode:       restoreMode,
			NextID:            nextID,
			Properties:        props,
			TaskName:          func(k checkpoint.SubtaskKey) string { return names[k] },
		}, all, sources, restored, time.Now())
	}
	if st != nil {
		defer st.Close()
	}

	var failedAt time.Time // when the attempt that failed last failed
	err = failover.Run(ctx, strategy, failover.SystemClock{}, func(ctx context.Context, attempt int) error {
		spec := spec
		spec.Restore = restored
		if coord != nil {
			if latest := coord.Latest(); latest != nil {
				spec.Restore = latest
			}
			if attempt > 0 && spec.Restore != nil {
				coord.Restored(spec.Restore, time.Now())
			}
		}
		if attempt > 0 {
			from := "the beginning"
			if spec.Restore != nil {
				from = fmt.Sprintf("checkpoint %d", spec.Restore.ID)
			}
			m.logger.Info("restarting job", "job", name, "attempt", attempt, "from", from)
		}
		att, err := tm.Deploy(ctx, spec)
		if err != nil {
			if errors.Is(err, ErrStorage) {
				// Checkpoint storage could not be read (unreachable, a
				// timeout): the restart strategy decides.
				return err
			}
			return failover.NoRestart(err)
		}
		info.attempt(att)
		defer info.attemptEnded(att)
		if attempt > 0 && !failedAt.IsZero() {
			// From the failure to the new attempt's subtasks deployed and
			// started: what a failover cost.
			m.logger.Info("job running again", "job", name, "attempt", attempt, "downtime", time.Since(failedAt).Round(time.Millisecond))
		}
		err = m.runAttempt(ctx, att, coord, spec.Storage, name, onStats)
		if errors.Is(err, runtime.ErrTaskStuck) {
			// The stuck subtask still holds its state and files: no
			// attempt can start in this process.
			return failover.NoRestart(err)
		}
		if errors.Is(err, state.ErrHeapBudget) {
			// A restart would restore the same state and fail again.
			return failover.NoRestart(err)
		}
		return err
	}, func(n int, delay time.Duration, cause error) {
		failedAt = time.Now()
		info.failed(cause, n-1, false)
		m.logger.Warn("job failed; restarting", "job", name, "attempt", n, "delay", delay, "cause", cause)
	})
	cancelled := ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled)
	if err != nil && !cancelled {
		info.failed(err, info.Restarts(), true)
	}
	info.ended(err, cancelled)

	if coord != nil && st != nil {
		if err == nil {
			hookKillAt("before-finished-marker")
			var last checkpoint.ID
			if l := coord.Latest(); l != nil {
				last = l.ID
			}
			// After the final commit, before any checkpoint is deleted:
			// a kill before this line leaves the final checkpoint (which
			// publishes what is left and ends), after it the marker.
			if merr := st.MarkFinished(context.WithoutCancel(ctx), name, storage.Finished{Job: name, At: time.Now(), Checkpoint: last}); merr != nil {
				m.logger.Warn("cannot mark the job finished; keeping its checkpoints", "job", name, "cause", merr)
				return fb.repeats // nil, or: the output may repeat all the same
			}
			hookKillAt("before-discard")
		}
		m.retain(name, st, err, cancelled)
		if n, err := st.CollectShared(context.WithoutCancel(ctx), name, true); err != nil {
			m.logger.Warn("deleting unreferenced shared state files", "job", name, "err", err)
		} else if n > 0 {
			m.logger.Info("deleted unreferenced shared state files", "job", name, "files", n)
		}
	}
	var ex *failover.ExhaustedError
	if errors.As(err, &ex) && ex.Attempts == 0 && ex.Last != nil {
		// No restart was ever allowed (restart-strategy none): the cause
		// alone says what happened.
		return ex.Last
	}
	if err == nil && fb.repeats != nil {
		return fb.repeats
	}
	return err
}

func (m *jobManager) spec(name string, g *graph.Graph, p *graph.Plan) (runtime.JobSpec, error) {
	timeout := config.Get(m.cfg, config.BufferTimeoutInterval)
	if !config.Get(m.cfg, config.BufferTimeoutEnabled) {
		timeout = -1 // flush only when full or at the end
	}
	budget, from := heapBudget(m.cfg)
	return runtime.JobSpec{
		Name:                name,
		Graph:               g,
		Plan:                p,
		MaxParallelism:      config.Get(m.cfg, config.MaxParallelism),
		BufferTimeout:       timeout,
		CancellationTimeout: config.Get(m.cfg, config.TaskCancellationTimeout),
		SegmentSize:         int(config.Get(m.cfg, config.MemorySegmentSize)),
		BuffersPerChannel:   config.Get(m.cfg, config.BuffersPerChannel),
		Logger:              m.logger,
		Incremental:         config.Get(m.cfg, config.IncrementalCheckpoints),
		StateBackend: operator.StateBackendConfig{
			Type:            config.Get(m.cfg, config.StateBackendType),
			LocalRecovery:   config.Get(m.cfg, config.LocalRecovery),
			WriteBufferSize: config.Get(m.cfg, config.PebbleWriteBufferSize),
			BlockCacheSize:  config.Get(m.cfg, config.PebbleBlockCacheSize),
			StateCacheSize:  config.Get(m.cfg, config.PebbleStateCacheSize),
			HeapBudget:      budget,
			HeapBudgetFrom:  from,
		},
		Clock: m.clock,
	}, nil
}

// runAttempt runs one attempt; with checkpointing, a driver steps coord
// alongside it on a goroutine joined before runAttempt returns.
func (m *jobManager) runAttempt(ctx context.Context, att Attempt, coord *checkpoint.Coordinator, store metadataStore, name string, onStats func(checkpoint.Stats)) error {
	if coord == nil {
		return att.Run()
	}
	d := newDriver(coord, att, store, name, m.logger)
	d.onStats = onStats
	d.beforeFinalCommit = func() { hookKillAt("before-final-commit") }
	m.info.driving(d.handle())
	defer m.info.driving(nil)
	dctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.run(dctx)
	}()
	err := att.Run()
	stop()
	<-done
	return err
}

// localStateDir makes this run's directory for local state under
// state.backend.rocksdb.localdir (or the system's temporary directory),
// locked while the run lives; directories of dead runs are removed first.
func localStateDir(c *config.Config, job string, logger *slog.Logger) (*state.LocalDir, error) {
	root, ok := config.Lookup(c, config.PebbleLocalDir)
	if !ok || root == "" {
		root = os.TempDir()
	}
	d, err := state.MakeLocalDir(root, job, logger)
	if err != nil {
		return nil, &config.Error{Key: config.PebbleLocalDir.Key(), Value: root, Reason: err.Error()}
	}
	return d, nil
}

// restoreThen reads state from the restored checkpoint's storage and
// writes new checkpoints to the job's own.
type restoreThen struct {
	storageAdapter
	read       storageAdapter
	restoredID checkpoint.ID
}

// OpenState reads the files of the restored checkpoint, its shared ones
// included, from where it was restored.
func (r restoreThen) OpenState(ctx context.Context, cp int64, ref checkpoint.FileRef) (io.ReadCloser, error) {
	if checkpoint.ID(cp) == r.restoredID {
		return r.read.OpenState(ctx, cp, ref)
	}
	return r.storageAdapter.OpenState(ctx, cp, ref)
}

func (r restoreThen) ReadState(ctx context.Context, ref checkpoint.FileRef) ([]byte, error) {
	if strings.HasPrefix(ref.Path, storage.CheckpointDir(r.restoredID)+"/") {
		return r.read.ReadState(ctx, ref)
	}
	return r.storageAdapter.ReadState(ctx, ref)
}

// noLatestError says that --from-checkpoint latest found no checkpoint at
// all; it wraps ErrRestore and ResolvePath's error.
type noLatestError struct {
	msg string
	err error
}

func (e *noLatestError) Error() string   { return e.msg }
func (e *noLatestError) Unwrap() []error { return []error{ErrRestore, e.err} }

// jobLocation is the directory of job name under the checkpoint location
// dir, keeping a URL's query (its storage options) a query.
func jobLocation(dir, name string) string {
	if strings.Contains(dir, "://") {
		if u, err := url.Parse(dir); err == nil {
			u.Path = strings.TrimSuffix(u.Path, "/") + "/" + storage.JobDir(name)
			u.RawPath = ""
			return u.String()
		}
	}
	return strings.TrimSuffix(dir, "/") + "/" + storage.JobDir(name)
}

// retain applies execution.checkpointing.externalized-checkpoint-retention
// when the job ends, as Flink does: a finished job keeps no checkpoints; a
// cancelled one keeps them with RETAIN_ON_CANCELLATION; a failed one keeps
// them unless they are not externalized. Every checkpoint in the job's
// directory is the job's (checkOwnDirectory), so those of earlier runs, the
// one restored from included, go too.
func (m *jobManager) retain(name string, st *storage.Storage, runErr error, cancelled bool) {
	policy := config.Get(m.cfg, config.ExternalizedCheckpointRetention)
	keep := false
	switch {
	case runErr == nil:
		keep = false
	case cancelled:
		keep = policy == config.RetainOnCancellation
	default:
		keep = policy != config.NoExternalizedCheckpoints
	}
	ctx := context.Background()
	infos, err := st.List(ctx, name)
	if err != nil {
		return
	}
	if keep {
		for _, in := range infos {
			if in.Status == storage.StatusComplete {
				m.logger.Info("checkpoint retained", "job", name, "checkpoint", in.ID, "path", in.Path)
			}
		}
		return
	}
	for _, in := range infos {
		if err := st.Discard(ctx, name, in.ID); err != nil {
			m.logger.Warn("cannot delete checkpoint", "job", name, "checkpoint", in.ID, "cause", err)
		}
	}
	st.RemoveEmptyCheckpointDirs(name)
}

// logDiagnoses logs, once each, the explanation of every checkpoint that
// ended since the one with ID after, if it failed or was slow; it returns
// the newest ID it looked at.
func (m *jobManager) logDiagnoses(name string, st checkpoint.Stats, after checkpoint.ID, interval, timeout time.Duration) checkpoint.ID {
	newest := after
	var vertices []graph.VertexStatus
	for i := len(st.History) - 1; i >= 0; i-- { // oldest first
		h := st.History[i]
		if h.ID <= after || h.Status == checkpoint.StatusInProgress {
			continue
		}
		newest = max(newest, h.ID)
		if vertices == nil {
			vertices = m.info.Vertices()
		}
		f, ok := diagnosis.Explain(diagnosis.Input{Checkpoint: h, Interval: interval, Timeout: timeout, Vertices: vertices})
		if !ok {
			continue
		}
		args := []any{"job", name, "checkpoint", h.ID, "cause", f.Cause, "summary", f.Summary}
		if len(f.Advice) > 0 {
			args = append(args, "advice", strings.Join(f.Advice, " "))
		}
		m.logger.Warn("checkpoint diagnosis", args...)
	}
	return newest
}
