package cluster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/checkpoint/storage"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/failover"
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/internal/filelock"
)

// The values of RestoreFrom's path with a meaning of their own.
const (
	// RestoreLatest is the newest intact checkpoint of this job under
	// execution.checkpointing.dir; a job with none is refused.
	RestoreLatest = "latest"
	// RestoreLatestOrFresh is RestoreLatest, but a job with no checkpoint
	// yet (no job directory, or one without chk-<n> directories and
	// without the marker of a finished job) starts fresh, saying so in the
	// log: what a supervisor that restarts a job the same way every time
	// passes.
	RestoreLatestOrFresh = "latest-or-fresh"
)

// ErrFinished marks a refusal to resume a job whose checkpoint directory
// says it finished: its output is complete, and resuming would publish
// its tail again. Errors wrapping it wrap ErrRestore too.
var ErrFinished = errors.New("the job finished")

// finishedError is the refusal to resume a finished job.
type finishedError struct{ msg string }

func (e *finishedError) Error() string   { return e.msg }
func (e *finishedError) Unwrap() []error { return []error{ErrRestore, ErrFinished} }

// ErrStorage marks a checkpoint storage that could not be read or written
// for a reason retrying may cure (it was unreachable, timed out, answered
// with a server error): the restart strategy decides, and the command
// exits 1, not 2.
var ErrStorage = errors.New("checkpoint storage unavailable")

// storageError wraps a storage failure that is not permanent
// (storage.Permanent) with ErrStorage.
type storageError struct{ err error }

func (e *storageError) Error() string   { return e.err.Error() }
func (e *storageError) Unwrap() []error { return []error{ErrStorage, e.err} }

// transient wraps err with ErrStorage unless it says something retrying
// cannot change.
func transient(err error) error {
	if err == nil || storage.Permanent(err) || errors.Is(err, context.Canceled) {
		return err
	}
	return &storageError{err}
}

// jobName is the name Execute runs the job under: pipeline.name when it
// is set and not empty, name otherwise.
func jobName(c *config.Config, name string) string {
	if n, ok := config.Lookup(c, config.PipelineName); ok && strings.TrimSpace(n) != "" {
		return n
	}
	return name
}

// identityProps records the job's identity in a checkpoint's properties:
// its operators' UIDs and each source's configuration.
func identityProps(g *graph.Graph, props map[string]string) {
	var uids []string
	for _, n := range g.Nodes {
		uids = append(uids, n.UID)
		if s, ok := n.Impl.(interface{ SourceIdentity() string }); ok {
			if id := s.SourceIdentity(); id != "" {
				props[checkpoint.PropSourcePrefix+n.UID] = id
			}
		}
	}
	slices.Sort(uids)
	props[checkpoint.PropOperatorUIDs] = strings.Join(uids, ",")
}

// identityMismatch says how the checkpoint's job differs from the job
// about to run (g, under name), or "" when it is the same job. Properties
// a checkpoint of an older version does not have are not compared.
func identityMismatch(cp *checkpoint.CompletedCheckpoint, name string, g *graph.Graph) string {
	if cp.Job != "" && storage.JobDir(cp.Job) == storage.JobDir(name) && cp.Job != name {
		return fmt.Sprintf("it belongs to job %q, not %q", cp.Job, name)
	}
	now := map[string]string{}
	identityProps(g, now)
	for _, k := range slices.Sorted(maps.Keys(cp.Properties)) {
		uid, ok := strings.CutPrefix(k, checkpoint.PropSourcePrefix)
		if !ok {
			continue
		}
		if id, ok := now[k]; ok && id != cp.Properties[k] {
			return fmt.Sprintf("its source %q read %s, and this job's reads %s", uid, cp.Properties[k], id)
		}
	}
	if was, ok := cp.Properties[checkpoint.PropOperatorUIDs]; ok && was != "" {
		mine := map[string]bool{}
		for _, u := range strings.Split(now[checkpoint.PropOperatorUIDs], ",") {
			mine[u] = true
		}
		shared := false
		for _, u := range strings.Split(was, ",") {
			shared = shared || mine[u]
		}
		if !shared {
			return fmt.Sprintf("its operators (UIDs %s) are none of this job's", was)
		}
	}
	return ""
}

// checkIdentity refuses a checkpoint of another job.
func checkIdentity(cp *checkpoint.CompletedCheckpoint, name string, g *graph.Graph) error {
	why := identityMismatch(cp, name, g)
	if why == "" {
		return nil
	}
	where := fmt.Sprintf("checkpoint %d", cp.ID)
	if cp.ExternalPath != "" {
		where += " (" + cp.ExternalPath + ")"
	}
	return fmt.Errorf("%w: %s is another job's: %s; restore it with that job, or run this one under its own name (-D %s=NAME) without --from-checkpoint",
		ErrRestore, where, why, config.PipelineName.Key())
}

// checkDirectory refuses, as a bad option, a checkpoint location that can
// never work: an unknown scheme, or a path that is a file.
func checkDirectory(dir string) error {
	bad := func(why string) error {
		return &config.Error{Key: config.CheckpointsDirectory.Key(), Value: storage.Redact(dir), Reason: why}
	}
	if strings.Contains(dir, "://") {
		u, err := url.Parse(dir)
		if err != nil {
			return bad(err.Error())
		}
		switch u.Scheme {
		case "file", "s3", "mem":
		default:
			return bad(fmt.Sprintf("unknown scheme %q: use a directory path, file://, s3:// or mem://", u.Scheme))
		}
		if u.Scheme != "file" {
			return nil
		}
		dir = u.Path
		if u.Host == "." {
			dir = strings.TrimPrefix(dir, "/")
		}
	}
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err == nil {
			if !fi.IsDir() {
				return bad(fmt.Sprintf("%s is a file, not a directory", d))
			}
			return nil
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// lockJobDir takes an exclusive lock on job's directory under a local
// checkpoint location, so that two processes running a job of the same
// name cannot share its checkpoints; the lock ends with the process.
// Other storages are not locked. The returned func releases it.
func lockJobDir(dir, job string) (func(), error) {
	if strings.Contains(dir, "://") && !strings.HasPrefix(dir, "file://") {
		return func() {}, nil
	}
	st, err := storage.Open(context.Background(), dir)
	if err != nil {
		return nil, fmt.Errorf("checkpoint storage %s: %w", storage.Redact(dir), err)
	}
	root := strings.TrimSuffix(st.ExternalPath(job, 1), string(filepath.Separator)+storage.JobDir(job)+string(filepath.Separator)+storage.CheckpointDir(1))
	st.Close()
	path := filepath.Join(root, "."+storage.JobDir(job)+".lock")
	f, err := filelock.TryLock(path)
	if err != nil {
		if errors.Is(err, filelock.ErrLocked) {
			return nil, &config.Error{Key: config.PipelineName.Key(), Value: job, Reason: fmt.Sprintf(
				"another process is running job %s with checkpoints in %s (it holds %s); give this job its own name with -D %s=NAME",
				job, filepath.Join(root, storage.JobDir(job)), path, config.PipelineName.Key())}
		}
		return nil, fmt.Errorf("checkpoint storage %s: lock %s: %w", storage.Redact(dir), path, err)
	}
	return func() { f.Close() }, nil
}

// checkOwnDirectory refuses to run a job, fresh or restored, in a job
// directory that holds complete checkpoints of another job (same name,
// other sources or operators): it would mix them up and, when it
// finished, delete them.
func checkOwnDirectory(ctx context.Context, st *storage.Storage, name string, g *graph.Graph) error {
	infos, err := st.List(ctx, name)
	if err != nil {
		return transient(fmt.Errorf("checkpoint storage %s: %w", st.Location(), err))
	}
	for i := len(infos) - 1; i >= 0; i-- {
		in := infos[i]
		if in.Checkpoint == nil {
			continue
		}
		if why := identityMismatch(in.Checkpoint, name, g); why != "" {
			return fmt.Errorf("%w: %s holds checkpoint %d of another job (%s); run this job under its own name (-D %s=NAME), or delete that directory if its checkpoints are no longer needed",
				ErrRestore, strings.TrimSuffix(in.Path, string(filepath.Separator)+storage.CheckpointDir(in.ID)), in.ID, why, config.PipelineName.Key())
		}
	}
	return nil
}

// resolveRestore finds the checkpoint RestoreFrom named (nil for a fresh
// start), retrying a storage that cannot be reached under the restart
// strategy. A damaged, missing or foreign checkpoint, and a finished job,
// are final: the error wraps ErrRestore.
func (m *jobManager) resolveRestore(ctx context.Context, name string, g *graph.Graph, dir string) (*storage.Resolved, error) {
	strategy, err := failover.FromConfig(m.cfg)
	if err != nil {
		return nil, err
	}
	var res *storage.Resolved
	err = failover.Run(ctx, strategy, failover.SystemClock{}, func(ctx context.Context, _ int) error {
		r, err := m.resolveOnce(ctx, name, g, dir)
		if err != nil && !errors.Is(err, ErrStorage) {
			return failover.NoRestart(err)
		}
		res = r
		return err
	}, func(n int, delay time.Duration, cause error) {
		m.logger.Warn("cannot read the checkpoint to restore; retrying", "job", name, "attempt", n, "delay", delay, "cause", cause)
	})
	var ex *failover.ExhaustedError
	if errors.As(err, &ex) && ex.Attempts == 0 && ex.Last != nil {
		err = ex.Last
	}
	if err != nil && errors.Is(err, failover.ErrNoRestart) {
		err = errors.Unwrap(err)
	}
	return res, err
}

func (m *jobManager) resolveOnce(ctx context.Context, name string, g *graph.Graph, dir string) (*storage.Resolved, error) {
	latest := m.restorePath == RestoreLatest || m.restorePath == RestoreLatestOrFresh
	target := m.restorePath
	if latest {
		target = jobLocation(dir, name)
		st, err := storage.Open(ctx, dir)
		if err != nil {
			return nil, transient(fmt.Errorf("checkpoint storage %s: %w", storage.Redact(dir), err))
		}
		f, err := st.ReadFinished(ctx, name)
		where := st.FinishedPath(name)
		st.Close()
		switch {
		case err == nil:
			return nil, &finishedError{fmt.Sprintf("%v: --from-checkpoint %s: job %s finished at %s (%s), so its output is complete; to run it again from the beginning, start it without --from-checkpoint",
				ErrRestore, m.restorePath, name, f.At.Format(time.RFC3339), where)}
		case !errors.Is(err, storage.ErrNotFound):
			return nil, transient(err)
		}
	}
	res, err := storage.ResolvePath(ctx, target)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrNotCheckpoint) {
			if m.restorePath == RestoreLatestOrFresh {
				m.logger.Info("no checkpoint yet; starting fresh", "job", name, "dir", storage.Redact(jobLocation(dir, name)))
				return nil, nil
			}
			if latest {
				why := "does not exist"
				if !errors.Is(err, storage.ErrNotFound) {
					why = "holds no chk-<n> directories"
				}
				return nil, &noLatestError{err: err, msg: fmt.Sprintf(
					"%v: --from-checkpoint latest: job %s has no checkpoint in %s (%s): %s %s; pass --from-checkpoint %s to start fresh when there is none",
					ErrRestore, name, storage.Redact(dir), config.CheckpointsDirectory.Key(), storage.Redact(target), why, RestoreLatestOrFresh)}
			}
		}
		if !storage.Permanent(err) {
			return nil, transient(fmt.Errorf("--from-checkpoint %s: %w", m.restorePath, err))
		}
		if latest {
			return nil, fmt.Errorf("%w: --from-checkpoint %s: %w", ErrRestore, m.restorePath, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrRestore, err)
	}
	if err := checkIdentity(res.Checkpoint, name, g); err != nil {
		res.Storage.Close()
		return nil, err
	}
	return res, nil
}

// ownCheckpoint reports whether cp lives in job name's directory of st:
// the job then owns it (Flink's claim mode), so retention applies to it.
func ownCheckpoint(st *storage.Storage, name string, cp *checkpoint.CompletedCheckpoint) bool {
	return cp != nil && cp.ExternalPath != "" && cp.ExternalPath == st.ExternalPath(name, cp.ID)
}

// discardBeyondRetention deletes the job's own complete checkpoints older
// than restored beyond execution.checkpointing.num-retained (restored
// counts): earlier runs' leftovers that no coordinator tracks.
func (m *jobManager) discardBeyondRetention(ctx context.Context, st *storage.Storage, name string, restored *checkpoint.CompletedCheckpoint) {
	infos, err := st.List(ctx, name)
	if err != nil {
		return
	}
	keep := config.Get(m.cfg, config.MaxRetainedCheckpoints) - 1
	for i := len(infos) - 1; i >= 0; i-- {
		in := infos[i]
		if in.ID >= restored.ID || in.Status != storage.StatusComplete {
			continue
		}
		if keep > 0 {
			keep--
			continue
		}
		if err := st.Discard(ctx, name, in.ID); err != nil {
			m.logger.Warn("cannot delete checkpoint", "job", name, "checkpoint", in.ID, "cause", err)
		}
	}
}

// hookKillAt is a test's hook: WEIR_TEST_KILL_AT names a moment at which
// the process kills itself with SIGKILL, so that a test reaches it
// deterministically ("before-final-commit", "before-finished-marker",
// "before-discard").
func hookKillAt(moment string) {
	if os.Getenv("WEIR_TEST_KILL_AT") == moment {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
}
