package cluster

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/checkpoint/storage"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/runtime"
)

// BuildFunc builds the graph of a job from its command name and
// arguments, with cfg as its configuration: the same code the job
// manager's process ran (application mode).
type BuildFunc func(job string, args []string, cfg *config.Config) (*graph.Graph, *graph.Plan, error)

// TaskManagerConfig is what a cluster's task manager needs.
type TaskManagerConfig struct {
	// JobManager is the job manager's control address (host:port).
	JobManager string
	// Data is the address to listen on for data connections
	// (taskmanager.host and taskmanager.data.port).
	Data string
	// Slots is taskmanager.numberOfTaskSlots.
	Slots int
	// TLS, when set, is used for both the control and the data plane
	// (mutual TLS: it holds this task manager's certificate and the
	// trusted one).
	TLS *tls.Config
	// Config is the task manager's own configuration, under the job's.
	Config *config.Config
	Build  BuildFunc
	Logger *slog.Logger
	// RegistrationTimeout bounds how long the task manager tries to reach
	// the job manager before it gives up; 0 means 5 minutes.
	RegistrationTimeout time.Duration
}

// ErrJobManagerLost means the task manager lost its job manager: the
// control connection closed, or no heartbeat came for heartbeat.timeout.
// Its attempts are cancelled.
var ErrJobManagerLost = errors.New("job manager lost")

// RunTaskManager registers with the job manager and runs what it deploys
// until the job manager shuts the cluster down (nil), the job manager is
// lost (ErrJobManagerLost), or ctx is cancelled.
func RunTaskManager(ctx context.Context, cfg TaskManagerConfig) error {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Config == nil {
		cfg.Config = config.New()
	}
	if cfg.RegistrationTimeout <= 0 {
		cfg.RegistrationTimeout = 5 * time.Minute
	}
	var id [6]byte
	rand.Read(id[:])
	host, _ := os.Hostname()
	tmID := fmt.Sprintf("%s-%s", host, hex.EncodeToString(id[:]))
	logger := cfg.Logger.With("taskmanager", tmID)
	ds, err := runtime.ListenData(cfg.Data, cfg.TLS, logger)
	if err != nil {
		return err
	}
	defer ds.Close()
	warnExposed(logger, "data port", ds.Addr(), cfg.TLS != nil)

	for {
		tm := &taskManagerProcess{cfg: cfg, id: tmID, logger: logger, data: ds, attempts: map[string]*tmAttempt{}, failedEarly: map[string]error{}}
		err := tm.run(ctx)
		if err == nil || ctx.Err() != nil || !errors.Is(err, ErrJobManagerLost) {
			return err
		}
		// The job manager may have declared this task manager lost (a
		// stopped process, a partition) while it is still there: its
		// attempts are cancelled; register again, as a new task manager.
		logger.Warn("lost the job manager; registering again", "err", err)
	}
}

// warnExposed logs what a listener on a non-loopback address without TLS
// exposes.
func warnExposed(logger *slog.Logger, what, addr string, tlsOn bool) {
	host, _, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); tlsOn || ip != nil && ip.IsLoopback() {
		return
	}
	logger.Warn(what+" reachable from other hosts without TLS: anyone who can reach it can read and inject records or control the job; set security.ssl.internal.enabled with its certificates, or bind to 127.0.0.1", "address", addr)
}

type taskManagerProcess struct {
	cfg    TaskManagerConfig
	id     string
	logger *slog.Logger
	data   *runtime.DataServer

	sendMu sync.Mutex
	stream *connect.BidiStreamForClient[tmMessage, jmMessage]

	// lastBeat is when the job manager was last heard from (unix
	// nanoseconds); past timeout, the attempts here may have been
	// replaced elsewhere (fence).
	lastBeat atomic.Int64
	timeout  time.Duration
	// lastTick is the heartbeat goroutine's last tick (unix nanoseconds);
	// fenced is set once a gap in its ticks showed that the process was
	// stopped longer than the timeout.
	lastTick atomic.Int64
	fenced   atomic.Bool

	mu       sync.Mutex
	attempts map[string]*tmAttempt
	// failedEarly holds the causes of attempts the job manager failed
	// while this task manager was still wiring them.
	failedEarly map[string]error
	wg          sync.WaitGroup // the attempts' goroutines
}

// tmAttempt is this task manager's part of one attempt.
type tmAttempt struct {
	name    string
	job     *runtime.Job
	network *runtime.Network
	closers []func()
	cancel  context.CancelFunc
	started bool // the receive loop's only
}

func (t *taskManagerProcess) send(m *tmMessage) error {
	t.sendMu.Lock()
	defer t.sendMu.Unlock()
	return t.stream.Send(m)
}

func (t *taskManagerProcess) connect(ctx context.Context) (registered, error) {
	client := newSessionClient(t.cfg.JobManager, t.cfg.TLS)
	deadline := time.Now().Add(t.cfg.RegistrationTimeout)
	for attempt := 0; ; attempt++ {
		t.stream = client.CallBidiStream(ctx)
		err := t.stream.Send(&tmMessage{Register: &registration{ID: t.id, Host: hostOf(t.data.Addr()), DataAddr: t.data.Addr(),
			Slots: t.cfg.Slots, Hardware: hostHardware()}})
		var reply *jmMessage
		if err == nil {
			reply, err = t.stream.Receive()
		}
		if err == nil && reply.Registered != nil {
			return *reply.Registered, nil
		}
		if err == nil {
			err = errors.New("unexpected first message")
		}
		t.stream.CloseRequest()
		t.stream.CloseResponse()
		if ctx.Err() != nil {
			return registered{}, context.Cause(ctx)
		}
		if time.Now().After(deadline) {
			return registered{}, fmt.Errorf("cannot register with the job manager at %s after %v: %w; is it running, and is the address (--jobmanager) right?",
				t.cfg.JobManager, t.cfg.RegistrationTimeout, err)
		}
		if attempt == 0 {
			t.logger.Info("waiting for the job manager", "address", t.cfg.JobManager, "err", err)
		}
		// Retry soon at first (a job manager starting at the same time),
		// then every second: Flink's cluster.registration.initial-timeout
		// (100 ms) doubling up to a bound.
		select {
		case <-time.After(min(time.Second, 50*time.Millisecond<<min(attempt, 5))):
		case <-ctx.Done():
			return registered{}, context.Cause(ctx)
		}
	}
}

func hostOf(addr string) string {
	h, _, _ := net.SplitHostPort(addr)
	return h
}

func (t *taskManagerProcess) run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	reg, err := t.connect(ctx)
	if err != nil {
		return err
	}
	t.logger.Info("registered with the job manager", "address", t.cfg.JobManager, "slots", t.cfg.Slots, "data", t.data.Addr())
	defer func() {
		// Every attempt's context derives from ctx: deployments in
		// progress and started attempts end, and started ones release
		// what they hold themselves.
		cancel(context.Canceled)
		t.wg.Wait()
		t.mu.Lock()
		var idle []*tmAttempt
		for _, a := range t.attempts {
			if !a.started {
				idle = append(idle, a)
			}
		}
		t.mu.Unlock()
		for _, a := range idle { // wired, never started: release them here
			a.cancel()
			for _, c := range a.closers {
				c()
			}
		}
	}()
	t.lastBeat.Store(time.Now().UnixNano())
	t.lastTick.Store(time.Now().UnixNano())
	t.timeout = reg.HeartbeatTimeout
	var wg sync.WaitGroup
	defer wg.Wait()
	// Heartbeats on their own goroutine: a task that blocks for minutes
	// does not make this task manager look dead.
	wg.Go(func() {
		tick := time.NewTicker(reg.HeartbeatInterval)
		defer tick.Stop()
		for {
			select {
			case now := <-tick.C:
				// A gap in this goroutine's own ticks longer than the
				// timeout means the process was stopped or starved: the
				// job manager had no heartbeat from it for that long and
				// may have replaced it. It fences itself first (fence), then
				// registers again.
				if gap := now.Sub(time.Unix(0, t.lastTick.Load())); gap > reg.HeartbeatTimeout {
					t.fenced.Store(true)
					cancel(fmt.Errorf("%w: this task manager was stopped or starved for %v, longer than heartbeat.timeout %v; the job manager may have replaced it", ErrJobManagerLost, gap.Round(time.Millisecond), reg.HeartbeatTimeout))
					t.stream.CloseResponse()
					return
				}
				t.lastTick.Store(now.UnixNano())
				since := time.Since(time.Unix(0, t.lastBeat.Load()))
				if since > reg.HeartbeatTimeout {
					cancel(fmt.Errorf("%w: no heartbeat from %s for %v (heartbeat.timeout %v)", ErrJobManagerLost, t.cfg.JobManager, since.Round(time.Millisecond), reg.HeartbeatTimeout))
					t.stream.CloseResponse()
					return
				}
				if err := t.send(&tmMessage{Heartbeat: true}); err != nil {
					cancel(fmt.Errorf("%w: control connection to %s closed: %v", ErrJobManagerLost, t.cfg.JobManager, err))
					t.stream.CloseResponse()
					return
				}
			case <-ctx.Done():
				t.stream.CloseResponse()
				return
			}
		}
	})
	for {
		m, err := t.stream.Receive()
		if err != nil {
			if c := context.Cause(ctx); c != nil {
				if errors.Is(c, context.Canceled) {
					return c
				}
				return c
			}
			err = fmt.Errorf("%w: control connection to %s closed: %v", ErrJobManagerLost, t.cfg.JobManager, err)
			cancel(err)
			return err
		}
		if time.Since(m.SentAt) < reg.HeartbeatTimeout {
			t.lastBeat.Store(time.Now().UnixNano())
		}
		if m.Shutdown != "" {
			t.logger.Info("the job manager shut the cluster down", "reason", m.Shutdown)
			cancel(context.Canceled)
			t.stream.CloseRequest()
			return nil
		}
		t.handle(ctx, m)
	}
}

// stamp names this task manager in its subtasks' figures.
func (t *taskManagerProcess) stamp(vs []graph.VertexStatus) []graph.VertexStatus {
	for i := range vs {
		for k := range vs[i].Subtasks {
			vs[i].Subtasks[k].TaskManager, vs[i].Subtasks[k].Endpoint = t.id, t.data.Addr()
		}
	}
	return vs
}

// fence refuses a snapshot once the job manager has been silent for longer
// than the heartbeat timeout: it may have declared this task manager lost
// and run the attempt elsewhere.
func (t *taskManagerProcess) fence() error {
	if gap := time.Since(time.Unix(0, t.lastTick.Load())); t.fenced.Load() || gap > t.timeout {
		return fmt.Errorf("%w: this task manager was stopped or starved longer than heartbeat.timeout %v; the job manager may have replaced it",
			ErrJobManagerLost, t.timeout)
	}
	if since := time.Since(time.Unix(0, t.lastBeat.Load())); since > t.timeout {
		return fmt.Errorf("%w: nothing from the job manager at %s for %v (heartbeat.timeout %v); this task manager may have been replaced",
			ErrJobManagerLost, t.cfg.JobManager, since.Round(time.Millisecond), t.timeout)
	}
	return nil
}

func (t *taskManagerProcess) attempt(name string) *tmAttempt {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.attempts[name]
}

func (t *taskManagerProcess) handle(ctx context.Context, m *jmMessage) {
	switch {
	case m.Deploy != nil:
		// Wiring may take long (restoring large state): off the receive
		// loop, which must keep taking the job manager's heartbeats. The
		// job manager sends nothing more for the attempt before Deployed,
		// except Fail, which waits in failedEarly.
		d := m.Deploy
		t.wg.Go(func() {
			err := t.deploy(ctx, d)
			if err != nil {
				t.logger.Error("deployment failed", "attempt", d.Attempt, "err", err)
			}
			t.send(&tmMessage{Deployed: &attemptResult{Attempt: d.Attempt, Err: toWire(err)}})
		})
	case m.Start != "":
		if a := t.attempt(m.Start); a != nil && !a.started {
			a.started = true
			t.start(a)
		}
	case m.Trigger != nil:
		if a := t.attempt(m.Trigger.Attempt); a != nil {
			a.job.TriggerCheckpoint(m.Trigger.ID, m.Trigger.At)
		}
	case m.Notify != nil:
		if a := t.attempt(m.Notify.Attempt); a != nil {
			a.job.NotifyCheckpointComplete(m.Notify.ID)
		}
	case m.Abort != nil:
		if a := t.attempt(m.Abort.Attempt); a != nil {
			a.job.AbortCheckpoint(m.Abort.ID)
		}
	case m.CommitFinal != "":
		if a := t.attempt(m.CommitFinal); a != nil {
			a.job.CommitFinal()
		}
	case m.Fail != nil:
		t.mu.Lock()
		a := t.attempts[m.Fail.Attempt]
		if a == nil { // still being wired
			t.failedEarly[m.Fail.Attempt] = m.Fail.Err.err()
		}
		t.mu.Unlock()
		if a == nil {
			return
		}
		a.job.Fail(m.Fail.Err.err())
		if !a.started { // wired but never started: nothing else will release it
			t.mu.Lock()
			delete(t.attempts, m.Fail.Attempt)
			t.mu.Unlock()
			a.cancel()
			for _, c := range a.closers {
				c()
			}
		}
	}
}

// deploy builds this task manager's part of an attempt.
func (t *taskManagerProcess) deploy(ctx context.Context, d *deployMessage) error {
	cfg := config.New()
	pairs := make([]string, 0, len(d.Config))
	for k, v := range d.Config {
		pairs = append(pairs, k+"="+v)
	}
	sort.Strings(pairs)
	if err := cfg.SetPairs(pairs); err != nil {
		return fmt.Errorf("the job's configuration: %w", err)
	}
	if pr := d.Probe; pr != nil {
		if b, err := os.ReadFile(pr.Path); err != nil || string(b) != pr.Token {
			host, _ := os.Hostname()
			return fmt.Errorf("%w: the job manager's local checkpoint directory %s is not the one task manager %s (host %s) sees: use s3:// or a file system mounted at the same path on every host (execution.checkpointing.dir)",
				ErrCheckpointDirNotShared, filepath.Dir(pr.Path), t.id, host)
		}
	}
	g, p, err := t.cfg.Build(d.Job, d.Args, cfg)
	if err != nil {
		return fmt.Errorf("building job %s: %w", d.Job, err)
	}
	m := newJobManager(Job{Config: cfg, Logger: t.logger})
	spec, err := m.spec(d.Name, g, p)
	if err != nil {
		return err
	}
	a := &tmAttempt{name: d.Attempt}
	fail := func(err error) error {
		for _, c := range a.closers {
			c()
		}
		return err
	}
	if config.Get(cfg, config.StateBackendType) == config.PebbleBackend {
		dir, err := localStateDir(cfg, d.Name, t.logger)
		if err != nil {
			return fail(err)
		}
		a.closers = append(a.closers, func() { dir.Close() })
		spec.LocalStateDir = dir.Path
	}
	spec.Checkpointing, spec.Mode, spec.Restore, spec.RestoreNewest = d.Checkpointing, d.Mode, d.Restore, d.RestoreNewest
	if d.Checkpointing || d.Restore != nil {
		dir := config.Get(cfg, config.CheckpointsDirectory)
		st, err := storage.Open(ctx, dir)
		if err != nil {
			return fail(transient(fmt.Errorf("checkpoint storage %s: %w", storage.Redact(dir), err)))
		}
		a.closers = append(a.closers, func() { st.Close() })
		spec.Storage = storageAdapter{st, d.Name}
		if d.RestorePath != "" {
			rm := newJobManager(Job{Config: cfg, Logger: t.logger, RestorePath: d.RestorePath})
			res, err := rm.resolveRestore(ctx, d.Name, g, dir)
			if err != nil {
				return fail(err)
			}
			a.closers = append(a.closers, func() { res.Storage.Close() })
			spec.Storage = restoreThen{read: storageAdapter{res.Storage, res.Job}, storageAdapter: storageAdapter{st, d.Name}, restoredID: d.Restore.ID}
		}
	}
	nw, err := runtime.NewNetwork(runtime.NetworkConfig{Attempt: d.Attempt, Self: d.Self, Peers: d.Peers, Server: t.data, TLS: t.cfg.TLS,
		Place: func(_, s int) int { return d.Place[s%len(d.Place)] }, Logger: t.logger})
	if err != nil {
		return fail(err)
	}
	a.network = nw
	a.closers = append(a.closers, nw.Close)
	spec.Network = nw
	spec.Attempt = d.Attempt
	spec.Fence = t.fence
	spec.Logger = t.logger
	actx, cancel := context.WithCancel(ctx)
	a.cancel = cancel
	job, err := runtime.Build(actx, spec)
	if err != nil {
		cancel()
		return fail(err)
	}
	a.job = job
	t.mu.Lock()
	cause, failed := t.failedEarly[d.Attempt]
	delete(t.failedEarly, d.Attempt)
	if !failed {
		t.attempts[d.Attempt] = a
	}
	t.mu.Unlock()
	if failed {
		cancel()
		return fail(fmt.Errorf("attempt %s failed while it was being wired: %w", d.Attempt, cause))
	}
	t.logger.Info("attempt deployed", "attempt", d.Attempt, "subtasks", countPlaced(d, p))
	return nil
}

func countPlaced(d *deployMessage, p *graph.Plan) int {
	n := 0
	for _, v := range p.Vertices {
		for s := range v.Parallelism {
			if d.Place[s%len(d.Place)] == d.Self {
				n++
			}
		}
	}
	return n
}

// start runs a deployed attempt and reports what becomes of it.
func (t *taskManagerProcess) start(a *tmAttempt) {
	job := a.job
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case m := <-job.Acks():
				switch m := m.(type) {
				case *checkpoint.Ack:
					t.send(&tmMessage{Ack: &ackMessage{Attempt: a.name, Ack: m}})
				case *checkpoint.Decline:
					t.send(&tmMessage{Decline: &declineMsg{Attempt: a.name, Checkpoint: m.Checkpoint, Task: m.Task, Cause: toWire(m.Cause), At: m.At}})
				}
			case <-stop:
				return
			}
		}
	})
	wg.Go(func() {
		select {
		case <-job.InputsEnded():
			t.send(&tmMessage{InputsEnded: a.name})
		case <-stop:
		}
	})
	wg.Go(func() {
		select {
		case <-job.Done():
			if c := job.Cause(); c != nil && !errors.Is(c, context.Canceled) {
				t.send(&tmMessage{Failed: &attemptResult{Attempt: a.name, Err: toWire(c)}})
			}
		case <-stop:
		}
	})
	wg.Go(func() {
		// The subtasks' figures: at once (so the job's pages list every
		// vertex from the start), then every second.
		t.send(&tmMessage{Status: &statusMessage{Attempt: a.name, Vertices: t.stamp(job.Status())}})
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				t.send(&tmMessage{Status: &statusMessage{Attempt: a.name, Vertices: t.stamp(job.Status())}})
			case <-stop:
				return
			}
		}
	})
	t.wg.Go(func() {
		err := job.Run()
		close(stop)
		wg.Wait()
		t.send(&tmMessage{Status: &statusMessage{Attempt: a.name, Vertices: t.stamp(job.Status())}})
		t.mu.Lock()
		delete(t.attempts, a.name)
		t.mu.Unlock()
		a.cancel()
		for _, c := range a.closers {
			c()
		}
		if err != nil {
			t.logger.Warn("attempt ended", "attempt", a.name, "err", err)
		} else {
			t.logger.Info("attempt finished", "attempt", a.name)
		}
		t.send(&tmMessage{Ended: &attemptResult{Attempt: a.name, Err: toWire(err)}})
	})
}
