package cluster

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/runtime"
)

// loopbackTaskManagers runs each attempt on several task managers inside
// this process (minicluster.number-of-taskmanagers), each with its own
// data server on 127.0.0.1: subtask i of every vertex runs on task manager
// i mod N, and records between task managers go through the TCP data
// plane exactly as between machines.
type loopbackTaskManagers struct {
	servers []*runtime.DataServer
	run     string // this run's random name, so attempts of two runs never meet
	logger  *slog.Logger

	mu       sync.Mutex
	attempts int
}

func newLoopbackTaskManagers(n int, logger *slog.Logger) (*loopbackTaskManagers, error) {
	var id [8]byte
	rand.Read(id[:])
	l := &loopbackTaskManagers{run: hex.EncodeToString(id[:]), logger: logger}
	for i := range n {
		s, err := runtime.ListenData("127.0.0.1:0", nil, logger.With("taskmanager", i))
		if err != nil {
			l.Close()
			return nil, err
		}
		l.servers = append(l.servers, s)
	}
	addrs := make([]any, 0, 2*n)
	for i, s := range l.servers {
		addrs = append(addrs, fmt.Sprint(i), s.Addr())
	}
	logger.Info("task managers started in this process; records between them travel over TCP", append([]any{"count", n}, addrs...)...)
	return l, nil
}

// Close stops the data servers.
func (l *loopbackTaskManagers) Close() {
	for _, s := range l.servers {
		s.Close()
	}
}

func (l *loopbackTaskManagers) Deploy(ctx context.Context, spec runtime.JobSpec) (Attempt, error) {
	l.mu.Lock()
	l.attempts++
	attempt := fmt.Sprintf("%s-%d", l.run, l.attempts)
	l.mu.Unlock()
	n := len(l.servers)
	peers := make([]string, n)
	for i, s := range l.servers {
		peers[i] = s.Addr()
	}
	place := func(_, s int) int { return s % n }
	jobs := make([]*runtime.Job, 0, n)
	fail := func(err error) (Attempt, error) {
		for _, j := range jobs {
			j.Cancel(err)
		}
		return nil, err
	}
	// Every task manager wires (and registers) its part before any starts,
	// so that no connection finds its peer not yet ready.
	for i := range n {
		nw, err := runtime.NewNetwork(runtime.NetworkConfig{Attempt: attempt, Self: i, Peers: peers, Server: l.servers[i],
			Place: place, Logger: spec.Logger.With("taskmanager", i)})
		if err != nil {
			return fail(err)
		}
		s := spec
		s.Network, s.Attempt = nw, attempt
		j, err := runtime.Build(ctx, s)
		if err != nil {
			nw.Close()
			return fail(err)
		}
		jobs = append(jobs, j)
	}
	parts := make([]Attempt, len(jobs))
	for i, j := range jobs {
		parts[i] = j
	}
	return newMultiAttempt(ctx, parts), nil
}

// multiAttempt is one attempt whose subtasks run on several task managers,
// each holding a part: what the job manager tells the attempt goes to
// every part, and what comes back is merged. The first part to fail fails
// the others with its cause.
type multiAttempt struct {
	parts  []Attempt
	ctx    context.Context
	cancel context.CancelCauseFunc
	acks   chan any
	ended  chan struct{} // every part's input ended
}

func newMultiAttempt(ctx context.Context, parts []Attempt) *multiAttempt {
	m := &multiAttempt{parts: parts, acks: make(chan any, 64), ended: make(chan struct{})}
	m.ctx, m.cancel = context.WithCancelCause(ctx)
	return m
}

// Run runs every part and returns when all have ended: nil when all
// succeeded, else the first failure.
func (m *multiAttempt) Run() error {
	var wg sync.WaitGroup
	stop := make(chan struct{}) // closed once every part's Run returned
	// A part that fails or is cancelled fails the attempt, and with it
	// every other part.
	unfail := context.AfterFunc(m.ctx, func() {
		for _, p := range m.parts {
			p.Fail(context.Cause(m.ctx))
		}
	})
	for _, p := range m.parts {
		wg.Go(func() {
			select {
			case <-p.Done():
				if c := p.Cause(); c != nil && !errors.Is(c, context.Canceled) {
					m.cancel(c)
				}
			case <-stop:
			}
		})
		wg.Go(func() {
			for {
				select {
				case a := <-p.Acks():
					select {
					case m.acks <- a:
					case <-stop:
						return
					}
				case <-stop:
					return
				}
			}
		})
	}
	wg.Go(func() {
		for _, p := range m.parts {
			select {
			case <-p.InputsEnded():
			case <-stop:
				return
			}
		}
		close(m.ended)
	})
	errs := make([]error, len(m.parts))
	var runs sync.WaitGroup
	for i, p := range m.parts {
		runs.Go(func() { errs[i] = p.Run() })
	}
	runs.Wait()
	close(stop)
	wg.Wait()
	unfail()
	defer m.cancel(context.Canceled)
	if c := context.Cause(m.ctx); c != nil && !errors.Is(c, context.Canceled) {
		return c
	}
	return errors.Join(errs...)
}

func (m *multiAttempt) Done() <-chan struct{}        { return m.ctx.Done() }
func (m *multiAttempt) Cause() error                 { return context.Cause(m.ctx) }
func (m *multiAttempt) Acks() <-chan any             { return m.acks }
func (m *multiAttempt) InputsEnded() <-chan struct{} { return m.ended }

func (m *multiAttempt) TriggerCheckpoint(id int64, at time.Time) {
	for _, p := range m.parts {
		p.TriggerCheckpoint(id, at)
	}
}

func (m *multiAttempt) NotifyCheckpointComplete(id int64) {
	for _, p := range m.parts {
		p.NotifyCheckpointComplete(id)
	}
}

func (m *multiAttempt) AbortCheckpoint(id int64) {
	for _, p := range m.parts {
		p.AbortCheckpoint(id)
	}
}

func (m *multiAttempt) CommitFinal() {
	for _, p := range m.parts {
		p.CommitFinal()
	}
}

// Fail fails every part; a part whose sinks already commit their final
// output ignores it, as a single attempt does.
func (m *multiAttempt) Fail(cause error) {
	for _, p := range m.parts {
		p.Fail(cause)
	}
}

// Status merges the parts' vertices: each part reports its own subtasks.
func (m *multiAttempt) Status() []graph.VertexStatus {
	var out []graph.VertexStatus
	for _, p := range m.parts {
		for i, v := range p.Status() {
			if i >= len(out) {
				v.Subtasks = slices.Clone(v.Subtasks)
				out = append(out, v)
				continue
			}
			out[i].Subtasks = append(out[i].Subtasks, v.Subtasks...)
		}
	}
	for i := range out {
		slices.SortFunc(out[i].Subtasks, func(a, b graph.SubtaskStatus) int { return cmp.Compare(a.Subtask, b.Subtask) })
	}
	return out
}
