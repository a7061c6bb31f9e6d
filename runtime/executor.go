package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/internal/keygroup"
	"github.com/weirstream/weir/operator"
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

	// Storage holds the job's checkpoints; needed when Checkpointing or
	// Restore is set.
	Storage CheckpointStorage
	// CancellationTimeout is task.cancellation.timeout: how long Run waits
	// for the subtasks to stop once the attempt is cancelled or failed,
	// before it gives up on them with ErrTaskStuck; 0 waits for ever.
	CancellationTimeout time.Duration
	// Checkpointing says that the job manager drives checkpoints for this
	// attempt: subtasks acknowledge through Acks, and sinks commit their
	// final output only after CommitFinal (once the final checkpoint is
	// complete) instead of as soon as every input ended.
	Checkpointing bool
	// Mode is the checkpointing mode (barrier alignment).
	Mode checkpoint.Mode
	// Restore is the checkpoint this attempt starts from; nil for a fresh
	// start.
	Restore *checkpoint.CompletedCheckpoint
	// RestoreNewest is the newest checkpoint of the job that may have
	// committed output (RestoreInfo.Newest); when it is above Restore's ID,
	// retracting sinks take back what the checkpoints in between
	// committed.
	RestoreNewest int64
	// Incremental is execution.checkpointing.incremental: file-based keyed
	// state (pebble) uploads only files not in storage already.
	Incremental bool
	// StateBackend configures keyed operators' state backends.
	StateBackend operator.StateBackendConfig
	// LocalStateDir is where subtasks keep local state, one directory each
	// ("<uid>-<subtask>"); the caller removes it when the job is over.
	LocalStateDir string
	// Clock is the subtasks' processing time (operator.ProcessingTimeService); nil
	// means the system clock.
	Clock operator.Clock
	// Fence, when set, is asked before each snapshot whether this process
	// may still act for the attempt; an error fails the subtask instead.
	// A cluster's task manager says no once its job manager has been
	// silent for longer than the heartbeat timeout.
	Fence func() error
	// Attempt names the attempt when it is spread over several task
	// managers: the same in each, unique across attempts and runs.
	Attempt string
	// Network, when the attempt is spread over several task managers, says
	// which subtasks run here and carries the channels to the others; nil
	// runs every subtask in this process.
	Network *Network
}

// Job is a wired, runnable instance of a JobSpec.
type Job struct {
	spec     JobSpec
	ctx      context.Context
	cancel   context.CancelCauseFunc
	subtasks []*subtask
	pools    []*BufferPool

	byKey    map[checkpoint.SubtaskKey]*subtask
	messages chan any      // acks and declines for the job manager
	jobDone  chan struct{} // closed when every subtask's input ended
	// commit is closed when sinks may commit their final output: with
	// checkpoints, once the final checkpoint (taken after every input
	// ended) is complete (CommitFinal); without, it is jobDone.
	commit     chan struct{}
	commitOnce sync.Once
	ended      atomic.Int64
	sampler    sampler
}

// local says whether subtask s of vertex v runs in this process.
func (j *Job) local(v, s int) bool {
	n := j.spec.Network
	return n == nil || n.cfg.Place(v, s) == n.self
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
	j := &Job{spec: spec, ctx: ctx, cancel: cancel, byKey: map[checkpoint.SubtaskKey]*subtask{},
		messages: make(chan any, 64), jobDone: make(chan struct{})}
	j.commit = j.jobDone
	if spec.Checkpointing {
		j.commit = make(chan struct{})
	}
	g, p := spec.Graph, spec.Plan
	local := j.local
	if (spec.Checkpointing || spec.Restore != nil) && spec.Storage == nil {
		cancel(nil)
		return nil, errors.New("checkpointing needs a checkpoint storage")
	}
	// Sinks publish what the restored checkpoint prepared, and clean up
	// after failed attempts, before any writer starts. In a cluster, the
	// task manager running the sink's first subtask does it (and is
	// deployed before the others); the others running some of its
	// subtasks learn what it decided (connector.AttemptJoiner).
	for _, n := range g.Nodes {
		sn, ok := n.Impl.(interface {
			Recover(context.Context, connector.RestoreInfo, [][]byte) error
		})
		if !ok {
			continue
		}
		v := p.VertexOf[n.ID]
		joiner, joins := n.Impl.(connector.AttemptJoiner)
		first, some := local(v, 0), false
		for s := range p.Vertices[v].Parallelism {
			some = some || local(v, s)
		}
		if !first && !(some && joins) {
			continue
		}
		var committables [][]byte
		info := connector.RestoreInfo{Logger: spec.Logger.With("job", spec.Name), Attempt: spec.Attempt}
		if spec.Restore != nil {
			info.Checkpoint = int64(spec.Restore.ID)
			info.Newest = max(info.Checkpoint, spec.RestoreNewest)
			r, err := restoreFor(ctx, spec.Restore, spec.Storage, n.UID, 0, 1, spec.MaxParallelism, map[string][]byte{})
			if err != nil {
				cancel(err)
				return nil, err
			}
			committables = r.Lists[operator.SinkCommittablesState]
		}
		var err error
		if first {
			err = sn.Recover(ctx, info, committables)
		} else {
			err = joiner.JoinAttempt(info, committables)
		}
		if err != nil {
			cancel(err)
			return nil, fmt.Errorf("recovering sink %q: %w", n.Name, err)
		}
	}

	// Gates and channels: one gate per consumer subtask, one channel per
	// producer subtask feeding it. A channel between task managers is a
	// gate's channel where its consumer runs and a proxy where its producer
	// runs (see Network).
	gates := make([][]*InputGate, len(p.Vertices))
	chans := map[channelKey]*InputChannel{}
	addChannel := func(key channelKey, fromV, toV int, gate *InputGate) {
		here, there := local(fromV, key.from), local(toV, key.to)
		switch {
		case here && there:
			chans[key] = gate.AddChannel(key.input, spec.BuffersPerChannel)
		case there:
			ch := gate.AddChannel(key.input, 0)
			spec.Network.inbound(spec.Network.cfg.Place(fromV, key.from), key, ch, spec.BuffersPerChannel, spec.SegmentSize)
		case here:
			chans[key] = spec.Network.outbound(spec.Network.cfg.Place(toV, key.to), key, spec.BuffersPerChannel)
		}
	}
	for _, v := range p.Vertices {
		gates[v.ID] = make([]*InputGate, v.Parallelism)
		for s := range gates[v.ID] {
			var gate *InputGate
			if local(v.ID, s) {
				gate = NewInputGate()
				gates[v.ID][s] = gate
			}
			for _, in := range v.Inputs {
				from := p.Vertices[in.FromVertex]
				if in.Edge.Partitioning == graph.Forward {
					addChannel(channelKey{v.Head, in.Input, s, s}, from.ID, v.ID, gate)
					continue
				}
				for f := 0; f < from.Parallelism; f++ {
					addChannel(channelKey{v.Head, in.Input, f, s}, from.ID, v.ID, gate)
				}
			}
		}
	}
	if spec.Network != nil {
		spec.Network.seal()
	}

	cache := map[string][]byte{} // keyed state files read once for every subtask
	for _, v := range p.Vertices {
		for s := 0; s < v.Parallelism; s++ {
			if !local(v.ID, s) {
				continue
			}
			t, err := j.buildSubtask(v, s, gates[v.ID][s], chans, cache)
			if err != nil {
				cancel(err)
				return nil, err
			}
			j.subtasks = append(j.subtasks, t)
			j.byKey[checkpoint.SubtaskKey{Vertex: v.ID, Subtask: s}] = t
		}
	}
	return j, nil
}

// Tasks lists every subtask of a plan, and the source subtasks, as the
// coordinator names them.
func Tasks(g *graph.Graph, p *graph.Plan) (all, sources []checkpoint.SubtaskKey) {
	for _, v := range p.Vertices {
		for s := 0; s < v.Parallelism; s++ {
			k := checkpoint.SubtaskKey{Vertex: v.ID, Subtask: s}
			all = append(all, k)
			if g.Nodes[v.Head].Kind == graph.KindSource {
				sources = append(sources, k)
			}
		}
	}
	return all, sources
}

func (j *Job) buildSubtask(v *graph.Vertex, s int, gate *InputGate, chans map[channelKey]*InputChannel, cache map[string][]byte) (*subtask, error) {
	spec := j.spec
	g, p := spec.Graph, spec.Plan
	name := fmt.Sprintf("%s (%d/%d)", v.Name, s+1, v.Parallelism)
	logger := spec.Logger.With("job", spec.Name, "task", name)
	t := &subtask{
		name: name, vertex: v.Name, headName: g.Nodes[v.Head].Name,
		index: s, parallel: v.Parallelism, ops: make([]operator.Operator, len(v.Nodes)),
		mail: newMailbox(), timeout: spec.BufferTimeout, logger: logger,
		jobDone: j.commit, inputEnded: j.inputEnded,
	}
	t.timers = newTimerService(t.mail, spec.Clock)
	t.outputWatermark.Store(operator.MinWatermark)
	t.metrics = make([]*operator.Metrics, len(v.Nodes))
	for i := range t.metrics {
		t.metrics[i] = operator.NewMetrics()
	}
	if spec.Checkpointing {
		t.ckpt = &taskCheckpointer{key: checkpoint.SubtaskKey{Vertex: v.ID, Subtask: s}, storage: spec.Storage, messages: j.messages,
			incremental: spec.Incremental, shared: &sharedFiles{}, fence: spec.Fence}
		for _, id := range v.Nodes {
			t.ckpt.uids = append(t.ckpt.uids, g.Nodes[id].UID)
		}
	}
	inputsOf := map[int][]any{}
	for idx := len(v.Nodes) - 1; idx >= 0; idx-- {
		n := g.Nodes[v.Nodes[idx]]
		impl, ok := n.Impl.(operator.NodeImpl)
		if !ok {
			return nil, fmt.Errorf("operator %q has no runtime implementation (%T)", n.Name, n.Impl)
		}
		var outs []any
		side := map[string][]any{}
		sideType := map[string]operator.TypeInfo{}
		add := func(c graph.Consumer, o any) {
			if tag := g.Nodes[c.Node].Inputs[c.Input].Tag; tag != "" {
				side[tag] = append(side[tag], o)
				sideType[tag] = g.Nodes[c.Node].Impl.(operator.NodeImpl).InType(c.Input)
				return
			}
			outs = append(outs, o)
		}
		chained, network := p.Outputs(g, n.ID)
		for _, c := range chained {
			add(c, inputsOf[c.Node][c.Input])
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
			pw.recordsOut, pw.backPressured, pw.bpSince = &t.recordsOut, &t.backPressured, &t.bpSince
			pw.bytesOut, pw.watermark = &t.bytesOut, &t.outputWatermark
			ti := impl.OutType()
			if edge.Tag != "" {
				ti = g.Nodes[c.Node].Impl.(operator.NodeImpl).InType(c.Input)
			}
			w, err := ti.NewWriter(pw, edge, spec.MaxParallelism, s, &t.rc)
			if err != nil {
				return nil, fmt.Errorf("operator %q: %w", n.Name, err)
			}
			add(c, w)
			t.writers = append(t.writers, pw)
			j.pools = append(j.pools, pool)
		}
		var out any
		if ot := impl.OutType(); ot != nil {
			out = ot.FanOut(outs)
		}
		octx := &operator.Context{
			Context: j.ctx, Node: n, Subtask: s, Parallelism: n.Parallelism, MaxParallelism: spec.MaxParallelism,
			KeyGroups: keygroup.RangeFor(spec.MaxParallelism, n.Parallelism, s),
			Logger:    logger.With("operator", n.Name),
			Record:    &t.rc, Timers: t.timers,
			StateBackend: spec.StateBackend,
			Task:         t,
			Metrics:      t.metrics[idx],
		}
		if spec.LocalStateDir != "" {
			octx.LocalDir = filepath.Join(spec.LocalStateDir, fmt.Sprintf("%s-%d", n.UID, s))
		}
		if len(side) > 0 {
			octx.SideOutputs = map[string]any{}
			for tag, os := range side {
				octx.SideOutputs[tag] = sideType[tag].FanOut(os)
			}
		}
		if spec.Restore != nil {
			r, err := restoreFor(j.ctx, spec.Restore, spec.Storage, n.UID, s, n.Parallelism, spec.MaxParallelism, cache)
			if err != nil {
				return nil, err
			}
			octx.Restore = r
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
		if c, ok := t.ops[0].(interface{ CountInto(*atomic.Int64) }); ok {
			c.CountInto(&t.records)
		}
		in, ok := t.ops[0].(operator.Input)
		if !ok {
			return nil, fmt.Errorf("source %q cannot drive a task", head.Name)
		}
		t.input = in
		return t, nil
	}
	gi := &gateInput{records: &t.records, bytes: &t.bytesIn, published: &t.inputWatermark, gate: gate, readers: make([]*frameReader, gate.NumChannels())}
	gi.onEvent = func(ch int, ev Event) (bool, error) { return t.onEvent(j.ctx, ch, ev) }
	if t.ckpt != nil {
		t.ckpt.aligner = newAligner(gate.NumChannels(), spec.Mode == checkpoint.ExactlyOnce)
	}
	impl := head.Impl.(operator.NodeImpl)
	for i, c := range gate.channels {
		gi.readers[i] = &frameReader{dec: impl.InType(c.input).NewDecoder(inputsOf[head.ID][c.input], &t.rc)}
	}
	gi.initWatermarks(inputsOf[head.ID][0].(interface {
		EmitWatermark(operator.Watermark) error
	}))
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
	progressCtx, stopProgress := context.WithCancel(j.ctx)
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		j.progress(progressCtx, start)
	}()
	var netErr atomic.Pointer[error]
	if n := j.spec.Network; n != nil {
		n.start(j.ctx, func(err error) {
			netErr.CompareAndSwap(nil, &err)
			j.cancel(err)
		})
		defer n.Close()
	}
	running := make([]atomic.Bool, len(j.subtasks))
	for i, t := range j.subtasks {
		running[i].Store(true)
		wg.Go(func() {
			defer running[i].Store(false)
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
	if err := j.awaitSubtasks(&wg, running); err != nil {
		if n := j.spec.Network; n != nil {
			n.wait() // cancelled: its connections are closed
		}
		stopProgress()
		<-progressDone
		return err
	}
	if n := j.spec.Network; n != nil {
		// What the subtasks sent to other task managers is on its way
		// once every connection has drained.
		n.wait()
	}
	stopProgress()
	<-progressDone
	defer j.cancel(context.Canceled)
	if first != nil {
		return first
	}
	if err := netErr.Load(); err != nil {
		return *err
	}
	select {
	case <-j.commit:
		// Every input ended and every sink committed its final output:
		// nothing that happens after that may fail the job (a restart
		// would publish the output again).
	default:
		if err := context.Cause(j.ctx); err != nil {
			return err
		}
	}
	d := time.Since(start)
	args := []any{"job", j.spec.Name, "duration", d.Round(time.Millisecond)}
	for _, v := range j.vertexCounts() {
		args = append(args, slog.Group(v.name, "records", v.records, "rate", fmt.Sprintf("%.0f/s", float64(v.records)/d.Seconds())))
	}
	j.spec.Logger.Info("job finished", args...)
	return nil
}

// ErrTaskStuck means that a subtask did not stop within
// task.cancellation.timeout after its attempt was cancelled: it is blocked
// in code that ignores cancellation (a user function, a connector, the
// state backend). Its goroutine and what it holds are left behind, so the
// attempt cannot be restarted in this process.
var ErrTaskStuck = errors.New("task did not stop after cancellation")

// awaitSubtasks waits for the subtasks' goroutines. Once the attempt is
// cancelled they have CancellationTimeout to stop; then it returns an
// error wrapping ErrTaskStuck that names those still running, and leaves
// them (a goroutine that waits for them stays too: nothing can stop it).
func (j *Job) awaitSubtasks(wg *sync.WaitGroup, running []atomic.Bool) error {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-j.ctx.Done():
	}
	if j.spec.CancellationTimeout <= 0 {
		<-done
		return nil
	}
	timer := time.NewTimer(j.spec.CancellationTimeout)
	defer timer.Stop()
	select {
	case <-done:
		return nil
	case <-timer.C:
	}
	var stuck []string
	for i, t := range j.subtasks {
		if running[i].Load() {
			stuck = append(stuck, t.name)
		}
	}
	cause := context.Cause(j.ctx)
	j.spec.Logger.Error("task did not stop after cancellation", "job", j.spec.Name, "tasks", stuck, "timeout", j.spec.CancellationTimeout, "cancelled by", cause)
	return fmt.Errorf("%w: %s still running %v after the job was cancelled (%v); it ignores cancellation, so the process must be restarted (task.cancellation.timeout)",
		ErrTaskStuck, strings.Join(stuck, ", "), j.spec.CancellationTimeout, cause)
}

func isTaskError(err error) bool {
	var te *TaskError
	return errors.As(err, &te) && !errors.Is(err, context.Canceled)
}

// inputEnded counts subtasks whose input ended; the last releases every
// subtask to commit its final output.
func (j *Job) inputEnded() {
	if j.ended.Add(1) == int64(len(j.subtasks)) {
		close(j.jobDone)
	}
}

// Acks delivers the subtasks' checkpoint acknowledgements and declines
// (*checkpoint.Ack, *checkpoint.Decline), for the job manager.
func (j *Job) Acks() <-chan any { return j.messages }

// InputsEnded is closed once every subtask's input has ended.
func (j *Job) InputsEnded() <-chan struct{} { return j.jobDone }

// TriggerCheckpoint tells every subtask of checkpoint id: sources inject
// the barrier, subtasks whose input has ended acknowledge with their final
// state (Flink's checkpoints after tasks finished), and the others note it
// in case their input ends before the barrier reaches them.
func (j *Job) TriggerCheckpoint(id int64, at time.Time) {
	b := CheckpointBarrier{ID: id, Timestamp: at}
	for _, t := range j.subtasks {
		t.mail.Put(func() error { return t.triggered(j.ctx, b) })
	}
}

// NotifyCheckpointComplete tells every subtask that checkpoint id is
// complete (sinks publish what it prepared).
func (j *Job) NotifyCheckpointComplete(id int64) {
	for _, t := range j.subtasks {
		t.mail.Put(func() error { return t.notifyComplete(id) })
	}
}

// AbortCheckpoint tells the subtasks that align barriers that checkpoint
// id was aborted, so that they stop holding back the channels it blocked.
func (j *Job) AbortCheckpoint(id int64) {
	for _, t := range j.subtasks {
		if t.ckpt == nil || t.ckpt.aligner == nil {
			continue
		}
		t.mail.Put(func() error {
			for _, ch := range t.ckpt.aligner.abort(id) {
				t.gate.gate.Unblock(ch)
			}
			return nil
		})
	}
}

// CommitFinal lets the sinks commit their final output: the final
// checkpoint, taken after every input ended, is complete. From then on
// nothing fails the attempt.
func (j *Job) CommitFinal() {
	if j.spec.Checkpointing {
		j.commitOnce.Do(func() { close(j.commit) })
	}
}

// Fail cancels the attempt with cause, unless its sinks already commit
// their final output (the job has then succeeded).
func (j *Job) Fail(cause error) {
	select {
	case <-j.commit:
	default:
		j.cancel(cause)
	}
}

// ProgressInterval is how often a running job logs its progress.
var ProgressInterval = 10 * time.Second

type vertexCount struct {
	name    string
	records int64
}

// vertexCounts sums the record counters of each vertex's subtasks.
func (j *Job) vertexCounts() []vertexCount {
	var out []vertexCount
	idx := map[string]int{}
	for _, t := range j.subtasks {
		name := t.vertex
		i, ok := idx[name]
		if !ok {
			i = len(out)
			idx[name] = i
			out = append(out, vertexCount{name: name})
		}
		out[i].records += t.records.Load()
	}
	return out
}

// Records is the number of records each vertex has taken in so far, by
// vertex name (for a source, the records it emitted).
func (j *Job) Records() map[string]int64 {
	m := map[string]int64{}
	for _, v := range j.vertexCounts() {
		m[v.name] = v.records
	}
	return m
}

// progress samples the subtasks' rates every second and logs each
// vertex's records and rate every ProgressInterval.
func (j *Job) progress(ctx context.Context, start time.Time) {
	j.sample(start)
	sample := time.NewTicker(time.Second)
	defer sample.Stop()
	tk := time.NewTicker(ProgressInterval)
	defer tk.Stop()
	last := map[string]int64{}
	lastAt := start
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-sample.C:
			j.sample(now)
		case now := <-tk.C:
			for _, v := range j.vertexCounts() {
				rate := float64(v.records-last[v.name]) / now.Sub(lastAt).Seconds()
				j.spec.Logger.Info("progress", "job", j.spec.Name, "vertex", v.name, "records", v.records, "rate", fmt.Sprintf("%.0f/s", rate))
				last[v.name] = v.records
			}
			lastAt = now
		}
	}
}

// Done is closed when the attempt is cancelled or a subtask failed (and
// when Run has returned).
func (j *Job) Done() <-chan struct{} { return j.ctx.Done() }

// Cause is why the attempt was cancelled, once Done is closed.
func (j *Job) Cause() error { return context.Cause(j.ctx) }
