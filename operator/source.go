package operator

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/connector"
)

// The list state names of sources and sinks.
const (
	// SourcePositionState holds a source subtask's reader position.
	SourcePositionState = "source-position"
	// SinkCommittablesState holds a two-phase-commit sink's committables.
	SinkCommittablesState = "sink-committables"
)

// sourceBatchSize is how many records a fetch may return at most.
const sourceBatchSize = 1024

// SourceNode is the NodeImpl of a source.
type SourceNode[T any] struct {
	Source connector.Source[T]
	Out    TypeInfo
	// Watermarks, when set, makes the source stamp its records with event
	// time and emit watermarks itself.
	Watermarks *SourceWatermarks[T]
}

// Build implements NodeImpl.
func (s *SourceNode[T]) Build(ctx *Context, out any) ([]any, Operator, error) {
	return nil, &sourceOperator[T]{ctx: ctx, src: s.Source, wmCfg: s.Watermarks, out: out.(Output[T]), emitted: new(atomic.Int64)}, nil
}

// OutType implements NodeImpl.
func (s *SourceNode[T]) OutType() TypeInfo { return s.Out }

// InType implements NodeImpl.
func (s *SourceNode[T]) InType(int) TypeInfo { return nil }

type sourceBatch[T any] struct {
	records  []T
	position [][]byte
	splits   *connector.SplitBatch // the records' splits, from a connector.SplitFetcher
	err      error                 // io.EOF at the end of the input
}

// sourceOperator drives a connector.SourceReader: a fetcher goroutine it owns calls
// Fetch and hands batches over; the subtask's goroutine emits them between
// its mails, and remembers the position of the last batch it emitted.
type sourceOperator[T any] struct {
	ctx   *Context
	src   connector.Source[T]
	wmCfg *SourceWatermarks[T]
	out   Output[T]
	ts    *sourceTimestamps[T] // nil without wmCfg

	reader  connector.SourceReader[T]
	batches chan sourceBatch[T]
	ready   chan struct{}
	free    chan []T
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	// position is the reader's position after the last emitted batch.
	position [][]byte
	emitted  *atomic.Int64 // the subtask's record counter
}

func (s *sourceOperator[T]) Open() error {
	sc := connector.SourceContext{Subtask: s.ctx.Subtask, Parallelism: s.ctx.Parallelism, Logger: s.ctx.Logger}
	if s.ctx.Restore != nil {
		// A subtask that stored no position (its reader had returned
		// nothing yet, or its input cannot be replayed) starts afresh with
		// its share of the input: restoring it with no entries would read
		// nothing and end the job as if the input were done. restoreFor
		// leaves the position absent only where that is exact.
		if pos, ok := s.ctx.Restore.Lists[SourcePositionState]; ok {
			sc.Restored = pos
			if sc.Restored == nil {
				sc.Restored = [][]byte{}
			}
			s.position = sc.Restored
			s.ctx.Logger.Info("restored source position", "entries", len(sc.Restored))
		} else {
			s.ctx.Logger.Info("source starts afresh on restore: the checkpoint holds no position for it")
		}
	}
	r, err := s.src.CreateReader(sc)
	if err != nil {
		return WrapOperatorError(s.ctx.Node.Name, err)
	}
	s.reader = r
	if sp, ok := r.(connector.StartPositioner); ok && sc.Restored == nil {
		// A checkpoint before the first batch must record the reader's
		// splits too, or a restore from it would lose them.
		s.position = sp.StartPosition()
	}
	s.publishPending()
	if s.wmCfg != nil {
		s.ts = newSourceTimestamps(s.ctx, s.wmCfg, r, s.out)
	}
	s.batches = make(chan sourceBatch[T], 2)
	s.ready = make(chan struct{}, 1)
	s.free = make(chan []T, 3)
	ctx, cancel := context.WithCancel(s.ctx.Context)
	s.cancel = cancel
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.fetch(ctx)
	}()
	return nil
}

func (s *sourceOperator[T]) fetch(ctx context.Context) {
	for {
		var buf []T
		select {
		case buf = <-s.free:
		default:
			buf = make([]T, 0, sourceBatchSize)
		}
		recs, splits, pos, err := s.read(ctx, buf[:0])
		if ctx.Err() != nil {
			return
		}
		s.publishPending()
		select {
		case s.batches <- sourceBatch[T]{records: recs, position: pos, splits: splits, err: err}:
		case <-ctx.Done():
			return
		}
		select {
		case s.ready <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

// publishPending publishes the reader's pending records and bytes (FLIP-33)
// in the operator's metrics, when the reader knows them; it runs where
// Fetch runs, or before the fetcher starts.
func (s *sourceOperator[T]) publishPending() {
	if p, ok := s.reader.(connector.PendingReporter); ok {
		s.ctx.OperatorMetrics().SetPending(p.Pending())
	}
}

func (s *sourceOperator[T]) Available() <-chan struct{} { return s.ready }

// CountInto makes the operator count emitted records into c (the
// subtask's record counter).
func (s *sourceOperator[T]) CountInto(c *atomic.Int64) { s.emitted = c }

// Step implements Input: it emits one fetched batch, if any.
func (s *sourceOperator[T]) Step() (StepResult, error) {
	var b sourceBatch[T]
	select {
	case b = <-s.batches:
	default:
		return StepNone, nil
	}
	if s.ts != nil {
		if err := s.ts.emit(b.records, b.splits); err != nil {
			return StepNone, err
		}
	} else {
		s.ctx.Record.HasTimestamp = false // without watermarks, sources emit no event time
		for _, r := range b.records {
			if err := s.out.Collect(r); err != nil {
				return StepNone, err
			}
		}
	}
	s.emitted.Add(int64(len(b.records)))
	if b.position != nil {
		s.position = b.position
	}
	if cap(b.records) > 0 {
		clear(b.records)
		select {
		case s.free <- b.records[:0]:
		default:
		}
	}
	switch {
	case b.err == nil:
		return StepMore, nil
	case errors.Is(b.err, io.EOF):
		// The end of the input ends event time: every timer fires.
		if err := s.endEventTime(); err != nil {
			return StepNone, err
		}
		return StepEnd, nil
	default:
		return StepNone, WrapOperatorError(s.ctx.Node.Name, b.err)
	}
}

func (s *sourceOperator[T]) Finish() error { return nil }

// SnapshotState stores the reader's position after the last emitted batch.
func (s *sourceOperator[T]) SnapshotState(int64) (OperatorSnapshot, error) {
	if s.position == nil {
		return OperatorSnapshot{}, nil
	}
	return OperatorSnapshot{Lists: []ListSnapshot{{Name: SourcePositionState, Mode: checkpoint.SplitDistribute, Entries: s.position}}}, nil
}

func (s *sourceOperator[T]) Close() error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	s.wg.Wait()
	if s.ts != nil {
		s.ts.close()
	}
	return WrapOperatorError(s.ctx.Node.Name, s.reader.Close())
}

// SinkNode is the NodeImpl of a sink.
type SinkNode[T any] struct {
	Sink connector.Sink[T]
	In   TypeInfo
}

// Build implements NodeImpl.
func (s *SinkNode[T]) Build(ctx *Context, _ any) ([]any, Operator, error) {
	op := &sinkOperator[T]{ctx: ctx, sink: s.Sink}
	return []any{Output[T](op)}, op, nil
}

// OutType implements NodeImpl.
func (s *SinkNode[T]) OutType() TypeInfo { return nil }

// InType implements NodeImpl.
func (s *SinkNode[T]) InType(int) TypeInfo { return s.In }

type sinkOperator[T any] struct {
	ctx  *Context
	sink connector.Sink[T]
	w    connector.SinkWriter[T]
}

func (s *sinkOperator[T]) Open() error {
	w, err := s.sink.CreateWriter(connector.SinkContext{Subtask: s.ctx.Subtask, Parallelism: s.ctx.Parallelism, Logger: s.ctx.Logger})
	if err != nil {
		return WrapOperatorError(s.ctx.Node.Name, err)
	}
	s.w = w
	return nil
}

func (s *sinkOperator[T]) Collect(v T) error {
	if err := s.w.Write(v); err != nil {
		return WrapOperatorError(s.ctx.Node.Name, err)
	}
	return nil
}

func (s *sinkOperator[T]) EmitWatermark(Watermark) error { return nil }

func (s *sinkOperator[T]) Finish() error {
	if err := s.w.Flush(true); err != nil {
		return WrapOperatorError(s.ctx.Node.Name, err)
	}
	if cw, ok := s.w.(connector.CheckpointedSinkWriter); ok {
		if _, err := cw.PrepareCommit(connector.FinalCheckpoint); err != nil {
			return WrapOperatorError(s.ctx.Node.Name, err)
		}
	}
	return nil
}

// SnapshotState flushes the writer and, for a two-phase-commit writer,
// seals its output and stores the committables.
func (s *sinkOperator[T]) SnapshotState(id int64) (OperatorSnapshot, error) {
	if err := s.w.Flush(false); err != nil {
		return OperatorSnapshot{}, WrapOperatorError(s.ctx.Node.Name, err)
	}
	cw, ok := s.w.(connector.CheckpointedSinkWriter)
	if !ok {
		return OperatorSnapshot{}, nil
	}
	c, err := cw.PrepareCommit(id)
	if err != nil {
		return OperatorSnapshot{}, WrapOperatorError(s.ctx.Node.Name, err)
	}
	if c == nil {
		c = [][]byte{}
	}
	return OperatorSnapshot{Lists: []ListSnapshot{{Name: SinkCommittablesState, Mode: checkpoint.SplitDistribute, Entries: c}}}, nil
}

// NotifyCheckpointComplete commits what the writer prepared up to id.
func (s *sinkOperator[T]) NotifyCheckpointComplete(id int64) error {
	if cw, ok := s.w.(connector.CheckpointedSinkWriter); ok {
		return WrapOperatorError(s.ctx.Node.Name, cw.NotifyCheckpointComplete(id))
	}
	return nil
}

// Recover runs the sink's recovery once per attempt, before any writer is
// created: RecoverFrom for a connector.RetractingSink, else Recover for a
// RecoverableSink.
func (s *SinkNode[T]) Recover(ctx context.Context, info connector.RestoreInfo, committables [][]byte) error {
	if rs, ok := s.Sink.(connector.RetractingSink); ok {
		return rs.RecoverFrom(ctx, info, committables)
	}
	if rs, ok := s.Sink.(connector.RecoverableSink); ok {
		return rs.Recover(ctx, committables)
	}
	return nil
}

// JoinAttempt lets a sink that implements connector.AttemptJoiner learn
// what the attempt's recovery, in another process, decided.
func (s *SinkNode[T]) JoinAttempt(info connector.RestoreInfo, committables [][]byte) error {
	if j, ok := s.Sink.(connector.AttemptJoiner); ok {
		return j.JoinAttempt(info, committables)
	}
	return nil
}

// Retracts reports whether the sink is a RetractingSink.
func (s *SinkNode[T]) Retracts() bool {
	_, ok := s.Sink.(connector.RetractingSink)
	return ok
}

func (s *sinkOperator[T]) Close() error {
	if s.w == nil {
		return nil
	}
	return WrapOperatorError(s.ctx.Node.Name, s.w.Close())
}
