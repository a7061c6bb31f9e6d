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
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/runtime"
)

// ErrTaskManagerLost marks an attempt that failed because a task manager
// running part of it was lost: its control connection closed, or it sent
// no heartbeat for heartbeat.timeout. The restart strategy decides what
// comes next; the next attempt runs on the task managers still there or
// on ones that register later.
var ErrTaskManagerLost = errors.New("task manager lost")

// ErrNoSlots means that the job manager gave up waiting for task managers
// to offer enough slots (slot.request.timeout).
var ErrNoSlots = errors.New("not enough task slots")

// JobManagerConfig is what a cluster's job manager needs besides its job.
type JobManagerConfig struct {
	// Listen is the control address (jobmanager.rpc.address and .port).
	Listen string
	// TLS, when set, is the server side of mutual TLS for the control
	// plane.
	TLS *tls.Config
	// Job and Args are what a task manager builds the job's graph from:
	// the job's command name and its arguments, given to the task
	// manager's build function as they are.
	Job  string
	Args []string
	// HeartbeatInterval and HeartbeatTimeout are heartbeat.interval and
	// heartbeat.timeout.
	HeartbeatInterval, HeartbeatTimeout time.Duration
	// SlotTimeout is slot.request.timeout: how long a deployment waits for
	// enough slots.
	SlotTimeout time.Duration
	Logger      *slog.Logger
}

// JobManagerServer is the control endpoint of a cluster's job manager and
// its registry of task managers. It implements TaskManager: each attempt
// is deployed on the registered task managers' slots. Its HTTP server and
// the goroutines of each task manager's session are its own; Close stops
// and joins them.
type JobManagerServer struct {
	cfg    JobManagerConfig
	ln     net.Listener
	srv    *http.Server
	logger *slog.Logger
	jobCfg map[string]string
	run    string        // random: attempt names never repeat across runs
	done   chan struct{} // closed when the server is closing
	// closing is set when Close begins, before the shutdown messages.
	closing atomic.Bool
	// readers are the sessions' stream readers, joined by Close once the
	// server has torn the streams down.
	readers sync.WaitGroup
	// probeFile is the file probe wrote into a local checkpoint
	// directory; Close removes it.
	probeOnce sync.Once
	probeFile *probe
	probeErr  error

	mu struct {
		sync.Mutex
		tms      []*remoteTM // registration order
		changed  chan struct{}
		attempts int
	}
}

// ListenJobManager starts the control endpoint. jobCfg is the job's
// configuration as key/value pairs, which every task manager applies.
func ListenJobManager(cfg JobManagerConfig, jobCfg map[string]string) (*JobManagerServer, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("job manager RPC port: %w", err)
	}
	var run [6]byte
	rand.Read(run[:])
	s := &JobManagerServer{cfg: cfg, ln: ln, logger: cfg.Logger, jobCfg: jobCfg, run: hex.EncodeToString(run[:]), done: make(chan struct{})}
	s.mu.changed = make(chan struct{})
	mux := http.NewServeMux()
	mux.Handle(sessionProcedure, connect.NewBidiStreamHandler(sessionProcedure, s.session, connect.WithCodec(jsonCodec{})))
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetHTTP2(true)
	p.SetUnencryptedHTTP2(cfg.TLS == nil)
	s.srv = &http.Server{Handler: mux, Protocols: &p, TLSConfig: cfg.TLS, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		var err error
		if cfg.TLS != nil {
			err = s.srv.ServeTLS(ln, "", "")
		} else {
			err = s.srv.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("job manager RPC server stopped", "err", err)
		}
	}()
	s.logger.Info("job manager listening for task managers", "address", ln.Addr().String(), "tls", cfg.TLS != nil)
	warnExposed(s.logger, "job manager's control port", ln.Addr().String(), cfg.TLS != nil)
	return s, nil
}

// Addr is the control address task managers connect to.
func (s *JobManagerServer) Addr() string { return s.ln.Addr().String() }

// Close tells every task manager to shut down with reason, and stops the
// server once their sessions have ended (or after a few seconds).
func (s *JobManagerServer) Close(reason string) {
	// Before any shutdown message goes out: a task manager that takes it
	// and leaves at once is released, not lost.
	s.closing.Store(true)
	s.mu.Lock()
	tms := append([]*remoteTM(nil), s.mu.tms...)
	s.mu.Unlock()
	for _, tm := range tms {
		tm.send(&jmMessage{Shutdown: reason})
	}
	// Give the task managers a moment to take the shutdown message.
	wait := time.NewTimer(5 * time.Second)
	defer wait.Stop()
	for _, tm := range tms {
		select {
		case <-tm.sent:
		case <-tm.lost:
		case <-wait.C:
		}
	}
	close(s.done)
	if s.probeFile != nil {
		os.Remove(s.probeFile.Path)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.srv.Shutdown(ctx)
	s.srv.Close()
	s.readers.Wait()
}

// TaskManagers lists the registered task managers, for the REST API.
func (s *JobManagerServer) TaskManagers() []TaskManagerInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]TaskManagerInfo, 0, len(s.mu.tms))
	for _, tm := range s.mu.tms {
		out = append(out, tm.info())
	}
	return out
}

// TaskManagerInfo is one registered task manager, with Flink's REST fields.
type TaskManagerInfo struct {
	ID               string
	Path             string // its control-plane peer address
	DataPort         int
	Slots, FreeSlots int
	LastHeartbeat    time.Time
	Hardware         hardware
}

// remoteTM is one registered task manager, as the job manager sees it.
type remoteTM struct {
	server     *JobManagerServer
	reg        registration
	remote     string
	registered time.Time
	outbox     chan *jmMessage
	sent       chan struct{} // closed once the shutdown message is written
	lastBeat   atomic.Int64  // unix nanoseconds of the last message
	lost       chan struct{}
	lostOnce   sync.Once
	cause      error

	mu    sync.Mutex
	parts map[string]*remotePart // by attempt
	used  int                    // slots in use
}

func (tm *remoteTM) info() TaskManagerInfo {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	_, port, _ := net.SplitHostPort(tm.reg.DataAddr)
	p, _ := strconv.Atoi(port)
	return TaskManagerInfo{ID: tm.reg.ID, Path: tm.remote, DataPort: p, Slots: tm.reg.Slots, FreeSlots: tm.reg.Slots - tm.used,
		LastHeartbeat: time.Unix(0, tm.lastBeat.Load()), Hardware: tm.reg.Hardware}
}

// send queues m for the task manager; it never blocks (a task manager
// that does not keep up with its control messages is lost anyway).
func (tm *remoteTM) send(m *jmMessage) {
	select {
	case tm.outbox <- m:
	case <-tm.lost:
	default:
		tm.markLost(errors.New("control messages not taken up"))
	}
}

func (tm *remoteTM) markLost(cause error) {
	tm.lostOnce.Do(func() {
		tm.cause = cause
		close(tm.lost)
		s := tm.server
		if errors.Is(cause, errShutdown) {
			s.logger.Info("task manager released", "taskmanager", tm.reg.ID, "address", tm.remote)
		} else {
			s.logger.Warn("task manager lost", "taskmanager", tm.reg.ID, "address", tm.remote, "reason", cause)
		}
		s.mu.Lock()
		for i, x := range s.mu.tms {
			if x == tm {
				s.mu.tms = append(s.mu.tms[:i], s.mu.tms[i+1:]...)
				break
			}
		}
		s.notifyLocked()
		s.mu.Unlock()
		tm.mu.Lock()
		parts := tm.parts
		tm.parts = nil
		tm.mu.Unlock()
		for _, p := range parts {
			p.end(fmt.Errorf("%w: %s at %s: %v", ErrTaskManagerLost, tm.reg.ID, tm.remote, cause))
		}
	})
}

func (s *JobManagerServer) notifyLocked() {
	close(s.mu.changed)
	s.mu.changed = make(chan struct{})
}

// session serves one task manager's stream from its registration until
// it is lost or the job manager closes.
func (s *JobManagerServer) session(ctx context.Context, stream *connect.BidiStream[tmMessage, jmMessage]) error {
	first, err := stream.Receive()
	if err != nil {
		return err
	}
	if first.Register == nil {
		return connect.NewError(connect.CodeInvalidArgument, errors.New("the first message must register the task manager"))
	}
	tm := &remoteTM{server: s, reg: *first.Register, remote: stream.Peer().Addr, registered: time.Now(),
		outbox: make(chan *jmMessage, 1024), sent: make(chan struct{}), lost: make(chan struct{}), parts: map[string]*remotePart{}}
	tm.lastBeat.Store(time.Now().UnixNano())
	if err := stream.Send(&jmMessage{Registered: &registered{HeartbeatInterval: s.cfg.HeartbeatInterval, HeartbeatTimeout: s.cfg.HeartbeatTimeout}}); err != nil {
		return err
	}
	s.mu.Lock()
	s.mu.tms = append(s.mu.tms, tm)
	s.notifyLocked()
	s.mu.Unlock()
	s.logger.Info("task manager registered", "taskmanager", tm.reg.ID, "address", tm.remote, "data", tm.reg.DataAddr, "slots", tm.reg.Slots)

	var wg sync.WaitGroup
	defer wg.Wait()
	// The writer: queued messages, and a heartbeat every interval.
	wg.Go(func() {
		tick := time.NewTicker(s.cfg.HeartbeatInterval)
		defer tick.Stop()
		for {
			var m *jmMessage
			select {
			case m = <-tm.outbox:
			case <-tick.C:
				m = &jmMessage{Heartbeat: true}
			case <-tm.lost:
				return
			}
			m.SentAt = time.Now()
			if err := stream.Send(m); err != nil {
				tm.markLost(fmt.Errorf("control connection closed: %w", err))
				return
			}
			if m.Shutdown != "" {
				close(tm.sent)
				return
			}
		}
	})
	// The heartbeat monitor: a task manager silent for the timeout is
	// lost, even if its connection looks open (a stopped process).
	wg.Go(func() {
		tick := time.NewTicker(min(s.cfg.HeartbeatInterval, s.cfg.HeartbeatTimeout/4))
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				if since := time.Since(time.Unix(0, tm.lastBeat.Load())); since > s.cfg.HeartbeatTimeout {
					tm.markLost(fmt.Errorf("no heartbeat for %v (heartbeat.timeout %v)", since.Round(time.Millisecond), s.cfg.HeartbeatTimeout))
					return
				}
			case <-tm.lost:
				return
			}
		}
	})
	// The reader runs until the stream is torn down: when this handler
	// returns (the task manager was lost, or the job manager closes) or
	// the connection breaks. The server joins it in Close.
	s.readers.Go(func() {
		for {
			m, err := stream.Receive()
			if err != nil {
				if s.closing.Load() { // the job manager is shutting the cluster down
					tm.markLost(errShutdown)
				} else {
					tm.markLost(fmt.Errorf("control connection closed: %w", err))
				}
				return
			}
			tm.lastBeat.Store(time.Now().UnixNano())
			tm.dispatch(m)
		}
	})
	select {
	case <-tm.lost:
	case <-s.done:
	}
	return nil
}

// errShutdown: the job manager itself is closing the cluster.
var errShutdown = errors.New("job manager shut down")

func (tm *remoteTM) part(attempt string) *remotePart {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.parts[attempt]
}

// dispatch hands a task manager's message to its attempt's part.
func (tm *remoteTM) dispatch(m *tmMessage) {
	switch {
	case m.Heartbeat:
	case m.Deployed != nil:
		if p := tm.part(m.Deployed.Attempt); p != nil {
			p.deployed <- m.Deployed.Err.err()
		}
	case m.Ack != nil:
		if p := tm.part(m.Ack.Attempt); p != nil {
			p.acks <- m.Ack.Ack
		}
	case m.Decline != nil:
		if p := tm.part(m.Decline.Attempt); p != nil {
			d := m.Decline
			p.acks <- &checkpoint.Decline{Checkpoint: d.Checkpoint, Task: d.Task, Cause: d.Cause.err(), At: d.At}
		}
	case m.InputsEnded != "":
		if p := tm.part(m.InputsEnded); p != nil {
			p.endedOnce.Do(func() { close(p.inputsEnded) })
		}
	case m.Failed != nil:
		if p := tm.part(m.Failed.Attempt); p != nil {
			p.cancel(m.Failed.Err.err())
		}
	case m.Ended != nil:
		if p := tm.part(m.Ended.Attempt); p != nil {
			tm.mu.Lock()
			delete(tm.parts, m.Ended.Attempt)
			tm.used -= p.slots
			tm.mu.Unlock()
			p.end(m.Ended.Err.err())
		}
	case m.Status != nil:
		if p := tm.part(m.Status.Attempt); p != nil {
			p.mu.Lock()
			p.mu.status = m.Status.Vertices
			p.mu.Unlock()
		}
	}
}

// Deploy places the attempt's subtasks on the registered task managers'
// slots (slot i holds subtask i of every vertex, Flink's default slot
// sharing), waiting up to slot.request.timeout for enough slots, wires
// every part and starts them together.
func (s *JobManagerServer) Deploy(ctx context.Context, spec runtime.JobSpec) (Attempt, error) {
	need := 0
	for _, v := range spec.Plan.Vertices {
		need = max(need, v.Parallelism)
	}
	tms, err := s.awaitSlots(ctx, need)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.mu.attempts++
	attempt := fmt.Sprintf("%s-%s-%d", spec.Name, s.run, s.mu.attempts)
	s.mu.Unlock()
	// Slots in registration order: the first task manager's, then the
	// next one's.
	var place []int
	var used []*remoteTM
	for _, tm := range tms {
		if len(place) == need {
			break
		}
		used = append(used, tm)
		for range tm.reg.Slots {
			if len(place) < need {
				place = append(place, len(used)-1)
			}
		}
	}
	peers := make([]string, len(used))
	for i, tm := range used {
		peers[i] = tm.reg.DataAddr
	}
	msg := deployMessage{Attempt: attempt, Job: s.cfg.Job, Args: s.cfg.Args, Config: s.jobCfg, Name: spec.Name,
		Peers: peers, Place: place, Checkpointing: spec.Checkpointing, Mode: spec.Mode, Restore: spec.Restore, RestoreNewest: spec.RestoreNewest}
	if rt, ok := spec.Storage.(restoreThen); ok && spec.Restore != nil && rt.restoredID == spec.Restore.ID {
		msg.RestorePath = spec.Restore.ExternalPath
	}
	if spec.Checkpointing || spec.Restore != nil {
		pr, err := s.probe()
		if err != nil {
			return nil, err
		}
		msg.Probe = pr
	}
	parts := make([]*remotePart, len(used))
	for i, tm := range used {
		slots := 0
		for _, p := range place {
			if p == i {
				slots++
			}
		}
		parts[i] = newRemotePart(ctx, tm, attempt, slots)
	}
	abort := func(err error) (Attempt, error) {
		for _, p := range parts {
			p.Fail(err)
		}
		return nil, err
	}
	// The first task manager, which runs every sink's first subtask and
	// so its recovery, is wired before the others create their writers
	// (connector.AttemptJoiner).
	deploy := func(i int) {
		m := msg
		m.Self = i
		used[i].send(&jmMessage{Deploy: &m})
	}
	deploy(0)
	for i, p := range parts {
		if i == 1 {
			for j := 1; j < len(parts); j++ {
				deploy(j)
			}
		}
		select {
		case err := <-p.deployed:
			if err != nil {
				return abort(fmt.Errorf("deploying on task manager %s: %w", p.tm.reg.ID, err))
			}
		case <-p.Done():
			return abort(p.Cause())
		case <-ctx.Done():
			return abort(context.Cause(ctx))
		}
	}
	for _, p := range parts {
		p.tm.send(&jmMessage{Start: attempt})
	}
	ids := make([]string, len(used))
	for i, tm := range used {
		ids[i] = tm.reg.ID
	}
	s.logger.Info("attempt deployed", "attempt", attempt, "taskmanagers", ids, "slots", need)
	as := make([]Attempt, len(parts))
	for i, p := range parts {
		as[i] = p
	}
	return newMultiAttempt(ctx, as), nil
}

// ErrCheckpointDirNotShared means that a task manager cannot see the job
// manager's local checkpoint directory: it runs on another machine, or in
// a container without the same mount.
var ErrCheckpointDirNotShared = errors.New("checkpoint directory not shared")

// probe writes, once, a file with a random token into a local checkpoint
// directory, for the task managers to read back (nil for object storage,
// which every process reaches by its URL).
func (s *JobManagerServer) probe() (*probe, error) {
	dir := s.jobCfg[config.CheckpointsDirectory.Key()]
	if dir == "" {
		dir = config.Get(config.New(), config.CheckpointsDirectory)
	}
	if strings.Contains(dir, "://") && !strings.HasPrefix(dir, "file://") {
		return nil, nil
	}
	dir = strings.TrimPrefix(dir, "file://")
	s.probeOnce.Do(func() {
		s.probeFile = &probe{Path: filepath.Join(dir, ".weir-probe-"+s.run), Token: s.run}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			s.probeErr = err
			return
		}
		s.probeErr = os.WriteFile(s.probeFile.Path, []byte(s.probeFile.Token), 0o644)
	})
	if s.probeErr != nil {
		return nil, transient(fmt.Errorf("checkpoint directory %s: %w", dir, s.probeErr))
	}
	return s.probeFile, nil
}

// awaitSlots waits until the registered task managers offer need slots.
func (s *JobManagerServer) awaitSlots(ctx context.Context, need int) ([]*remoteTM, error) {
	deadline := time.NewTimer(s.cfg.SlotTimeout)
	defer deadline.Stop()
	logged := false
	for {
		s.mu.Lock()
		tms := append([]*remoteTM(nil), s.mu.tms...)
		changed := s.mu.changed
		s.mu.Unlock()
		have := 0
		for _, tm := range tms {
			have += tm.reg.Slots
		}
		if have >= need {
			sort.SliceStable(tms, func(i, j int) bool { return tms[i].registered.Before(tms[j].registered) })
			return tms, nil
		}
		if !logged {
			s.logger.Info("waiting for task managers to offer slots", "needed", need, "registered", have, "timeout", s.cfg.SlotTimeout)
			logged = true
		}
		select {
		case <-changed:
		case <-deadline.C:
			return nil, fmt.Errorf("%w: the job needs %d slots and the task managers registered with the job manager at %s offer %d after %v (slot.request.timeout); start more task managers or give them more slots (taskmanager.numberOfTaskSlots)",
				ErrNoSlots, need, s.Addr(), have, s.cfg.SlotTimeout)
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}

// remotePart is the part of an attempt that one task manager runs, as the
// job manager sees it.
type remotePart struct {
	tm          *remoteTM
	attempt     string
	slots       int
	ctx         context.Context
	cancel      context.CancelCauseFunc
	deployed    chan error
	acks        chan any
	inputsEnded chan struct{}
	endedOnce   sync.Once
	result      chan error // the part's end: nil, its failure, or the task manager's loss
	resultOnce  sync.Once

	mu struct {
		sync.Mutex
		status []graph.VertexStatus
	}
}

func newRemotePart(ctx context.Context, tm *remoteTM, attempt string, slots int) *remotePart {
	p := &remotePart{tm: tm, attempt: attempt, slots: slots, deployed: make(chan error, 1), acks: make(chan any, 1024),
		inputsEnded: make(chan struct{}), result: make(chan error, 1)}
	p.ctx, p.cancel = context.WithCancelCause(ctx)
	tm.mu.Lock()
	lost := tm.parts == nil
	if !lost {
		tm.parts[attempt] = p
		tm.used += slots
	}
	tm.mu.Unlock()
	if lost {
		p.end(fmt.Errorf("%w: %s at %s: %v", ErrTaskManagerLost, tm.reg.ID, tm.remote, tm.cause))
	}
	return p
}

// end records the part's end; a failure also cancels it.
func (p *remotePart) end(err error) {
	if err != nil {
		p.cancel(err)
	}
	p.resultOnce.Do(func() { p.result <- err })
}

// Run waits for the task manager to report the part's end, or for its
// loss.
func (p *remotePart) Run() error {
	err := <-p.result
	p.cancel(context.Canceled)
	return err
}

func (p *remotePart) Done() <-chan struct{}        { return p.ctx.Done() }
func (p *remotePart) Cause() error                 { return context.Cause(p.ctx) }
func (p *remotePart) Acks() <-chan any             { return p.acks }
func (p *remotePart) InputsEnded() <-chan struct{} { return p.inputsEnded }

func (p *remotePart) TriggerCheckpoint(id int64, at time.Time) {
	p.tm.send(&jmMessage{Trigger: &checkpointOrder{Attempt: p.attempt, ID: id, At: at}})
}

func (p *remotePart) NotifyCheckpointComplete(id int64) {
	p.tm.send(&jmMessage{Notify: &checkpointOrder{Attempt: p.attempt, ID: id}})
}

func (p *remotePart) AbortCheckpoint(id int64) {
	p.tm.send(&jmMessage{Abort: &checkpointOrder{Attempt: p.attempt, ID: id}})
}

func (p *remotePart) CommitFinal() { p.tm.send(&jmMessage{CommitFinal: p.attempt}) }

func (p *remotePart) Fail(cause error) {
	p.tm.send(&jmMessage{Fail: &attemptResult{Attempt: p.attempt, Err: toWire(cause)}})
}

func (p *remotePart) Status() []graph.VertexStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mu.status
}
