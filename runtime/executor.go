package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/internal/keygroup"
)

// JobSpec is everything the local executor needs to run a planned job.
type JobSpec struct {
	Name           string
	Graph          *graph.Graph
	Plan           *graph.Plan
	MaxParallelism int
	// BufferTimeout is execution.buffer-timeout.interval: the longest a
	// partly filled buffer waits before it is sent; 0 sends after every
	// record.
	BufferTimeout time.Duration
	// SegmentSize is taskmanager.memory.segment-size in bytes.
	SegmentSize int
	// BuffersPerChannel is taskmanager.network.memory.buffers-per-channel:
	// the credits of each input channel.
	BuffersPerChannel int
	Logger            *slog.Logger
}

// Job is a wired, runnable instance of a JobSpec.
type Job struct {
	spec     JobSpec
	ctx      context.Context
	cancel   context.CancelCauseFunc
	subtasks []*subtask
	pools    []*BufferPool
}

type channelKey struct{ node, input, from, to int }

// Build wires every subtask of spec: gates, channels, buffer pools and
// operator chains. The job's goroutines start in Run and live until ctx is
// done or the job ends.
func Build(ctx context.Context, spec JobSpec) (*Job, error) {
	if spec.SegmentSize <= 0 {
		spec.SegmentSize = 32 << 10
	}
	if spec.BuffersPerChannel <= 0 {
		spec.BuffersPerChannel = 2
	}
	if spec.Logger == nil {
		spec.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancelCause(ctx)
	j := &Job{spec: spec, ctx: ctx, cancel: cancel}
	g, p := spec.Graph, spec.Plan

	// Gates and channels: one gate per consumer subtask, one channel per
	// producer subtask feeding it.
	gates := make([][]*InputGate, len(p.Vertices))
	chans := map[channelKey]*InputChannel{}
	for _, v := range p.Vertices {
		gates[v.ID] = make([]*InputGate, v.Parallelism)
		for s := range gates[v.ID] {
			gate := NewInputGate()
			gates[v.ID][s] = gate
			for _, in := range v.Inputs {
				from := p.Vertices[in.FromVertex]
				if in.Edge.Partitioning == graph.Forward {
					chans[channelKey{v.Head, in.Input, s, s}] = gate.AddChannel(in.Input, spec.BuffersPerChannel)
					continue
				}
				for f := 0; f < from.Parallelism; f++ {
					chans[channelKey{v.Head, in.Input, f, s}] = gate.AddChannel(in.Input, spec.BuffersPerChannel)
				}
			}
		}
	}

	for _, v := range p.Vertices {
		for s := 0; s < v.Parallelism; s++ {
			t, err := j.buildSubtask(v, s, gates[v.ID][s], chans)
			if err != nil {
				cancel(err)
				return nil, err
			}
			j.subtasks = append(j.subtasks, t)
		}
	}
	_ = g
	return j, nil
}

func (j *Job) buildSubtask(v *graph.Vertex, s int, gate *InputGate, chans map[channelKey]*InputChannel) (*subtask, error) {
	spec := j.spec
	g, p := spec.Graph, spec.Plan
	logger := spec.Logger.With("job", spec.Name, "task", fmt.Sprintf("%s (%d/%d)", v.Name, s+1, v.Parallelism))
	t := &subtask{
		name: fmt.Sprintf("%s (%d/%d)", v.Name, s+1, v.Parallelism), headName: g.Nodes[v.Head].Name,
		index: s, parallel: v.Parallelism, ops: make([]Operator, len(v.Nodes)),
		mail: newMailbox(), timeout: spec.BufferTimeout, logger: logger,
	}
	inputsOf := map[int][]any{}
	for idx := len(v.Nodes) - 1; idx >= 0; idx-- {
		n := g.Nodes[v.Nodes[idx]]
		impl, ok := n.Impl.(NodeImpl)
		if !ok {
			return nil, fmt.Errorf("operator %q has no runtime implementation (%T)", n.Name, n.Impl)
		}
		var outs []any
		chained, network := p.Outputs(g, n.ID)
		for _, c := range chained {
			outs = append(outs, inputsOf[c.Node][c.Input])
		}
		for _, c := range network {
			consumer := p.Vertices[p.VertexOf[c.Node]]
			edge := g.Nodes[c.Node].Inputs[c.Input]
			var cs []*InputChannel
			if edge.Partitioning == graph.Forward {
				cs = []*InputChannel{chans[channelKey{c.Node, c.Input, s, s}]}
			} else {
				for to := 0; to < consumer.Parallelism; to++ {
					cs = append(cs, chans[channelKey{c.Node, c.Input, s, to}])
				}
			}
			pool := NewBufferPool(len(cs)*(spec.BuffersPerChannel+1), spec.SegmentSize)
			pw := NewPartitionWriter(j.ctx, pool, cs, spec.BufferTimeout == 0)
			w, err := impl.OutType().newRecordWriter(pw, edge, spec.MaxParallelism, s)
			if err != nil {
				return nil, fmt.Errorf("operator %q: %w", n.Name, err)
			}
			outs = append(outs, w)
			t.writers = append(t.writers, pw)
			j.pools = append(j.pools, pool)
		}
		var out any
		if ot := impl.OutType(); ot != nil {
			out = ot.fanOut(outs)
		}
		octx := &OperatorContext{
			Context: j.ctx, Node: n, Subtask: s, Parallelism: n.Parallelism, MaxParallelism: spec.MaxParallelism,
			KeyGroups: keygroup.RangeFor(spec.MaxParallelism, n.Parallelism, s),
			Logger:    logger.With("operator", n.Name),
		}
		ins, op, err := impl.Build(octx, out)
		if err != nil {
			return nil, fmt.Errorf("operator %q: %w", n.Name, err)
		}
		inputsOf[n.ID] = ins
		t.ops[idx] = op
	}
	head := g.Nodes[v.Head]
	if head.Kind == graph.KindSource {
		in, ok := t.ops[0].(taskInput)
		if !ok {
			return nil, fmt.Errorf("source %q cannot drive a task", head.Name)
		}
		t.input = in
		return t, nil
	}
	gi := &gateInput{gate: gate, readers: make([]bufferProcessor, gate.NumChannels())}
	impl := head.Impl.(NodeImpl)
	for i, c := range gate.channels {
		gi.readers[i] = impl.InType(c.input).newRecordReader(inputsOf[head.ID][c.input])
	}
	t.input, t.gate = gi, gi
	return t, nil
}

// Pools returns every output buffer pool of the job, for metrics and tests.
func (j *Job) Pools() []*BufferPool { return j.pools }

// Cancel stops the job; Run returns cause.
func (j *Job) Cancel(cause error) { j.cancel(cause) }

// Run starts one goroutine per subtask and waits for all of them. It returns
// nil when every input ended and every task finished, the first task's
// failure otherwise (the other tasks are cancelled), or the cause of
// cancellation.
func (j *Job) Run() error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	start := time.Now()
	for _, t := range j.subtasks {
		wg.Go(func() {
			err := t.run(j.ctx)
			if err == nil || j.ctx.Err() != nil && !isTaskError(err) {
				return
			}
			mu.Lock()
			if first == nil {
				first = err
			}
			mu.Unlock()
			j.cancel(err)
		})
	}
	wg.Wait()
	defer j.cancel(context.Canceled)
	if first != nil {
		return first
	}
	if err := context.Cause(j.ctx); err != nil {
		return err
	}
	j.spec.Logger.Info("job finished", "job", j.spec.Name, "duration", time.Since(start).Round(time.Millisecond))
	return nil
}

func isTaskError(err error) bool {
	var te *TaskError
	return errors.As(err, &te) && !errors.Is(err, context.Canceled)
}
