package runtime

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/operator"
)

// sourceBatchSize is how many records a fetch may return at most.
const sourceBatchSize = 1024

// SourceNode is the NodeImpl of a source.
type SourceNode[T any] struct {
	Source connector.Source[T]
	Out    TypeInfo
	// Watermarks, when set, makes the source stamp its records with event
	// time and emit watermarks itself.
	Watermarks *operator.SourceWatermarks[T]
}

// Build implements NodeImpl.
func (s *SourceNode[T]) Build(ctx *operator.Context, out any) ([]any, operator.Operator, error) {
	return nil, &sourceOperator[T]{ctx: ctx, src: s.Source, wmCfg: s.Watermarks, out: out.(operator.Output[T]), emitted: new(atomic.Int64)}, nil
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
	ctx   *operator.Context
	src   connector.Source[T]
	wmCfg *operator.SourceWatermarks[T]
	out   operator.Output[T]
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
		if pos, ok := s.ctx.Restore.Lists[sourcePositionState]; ok {
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
		return operator.WrapOperatorError(s.ctx.Node.Name, err)
	}
	s.reader = r
	if sp, ok := r.(connector.StartPositioner); ok && sc.Restored == nil {
		// A checkpoint before the first batch must record the reader's
		// splits too, or a restore from it would lose them.
		s.position = sp.StartPosition()
	}
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

func (s *sourceOperator[T]) available() <-chan struct{} { return s.ready }

// countInto makes the operator count emitted records into c.
func (s *sourceOperator[T]) countInto(c *atomic.Int64) { s.emitted = c }

func (s *sourceOperator[T]) step() (stepResult, error) {
	var b sourceBatch[T]
	select {
	case b = <-s.batches:
	default:
		return stepNone, nil
	}
	if s.ts != nil {
		if err := s.ts.emit(b.records, b.splits); err != nil {
			return stepNone, err
		}
	} else {
		s.ctx.Record.HasTimestamp = false // without watermarks, sources emit no event time
		for _, r := range b.records {
			if err := s.out.Collect(r); err != nil {
				return stepNone, err
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
		return stepMore, nil
	case errors.Is(b.err, io.EOF):
		// The end of the input ends event time: every timer fires.
		if err := s.endEventTime(); err != nil {
			return stepNone, err
		}
		return stepEnd, nil
	default:
		return stepNone, operator.WrapOperatorError(s.ctx.Node.Name, b.err)
	}
}

func (s *sourceOperator[T]) Finish() error { return nil }

// SnapshotState stores the reader's position after the last emitted batch.
func (s *sourceOperator[T]) SnapshotState(int64) (operator.OperatorSnapshot, error) {
	if s.position == nil {
		return operator.OperatorSnapshot{}, nil
	}
	return operator.OperatorSnapshot{Lists: []operator.ListSnapshot{{Name: sourcePositionState, Mode: checkpoint.SplitDistribute, Entries: s.position}}}, nil
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
	return operator.WrapOperatorError(s.ctx.Node.Name, s.reader.Close())
}

// SinkNode is the NodeImpl of a sink.
type SinkNode[T any] struct {
	Sink connector.Sink[T]
	In   TypeInfo
}

// Build implements NodeImpl.
func (s *SinkNode[T]) Build(ctx *operator.Context, _ any) ([]any, operator.Operator, error) {
	op := &sinkOperator[T]{ctx: ctx, sink: s.Sink}
	return []any{operator.Output[T](op)}, op, nil
}

// OutType implements NodeImpl.
func (s *SinkNode[T]) OutType() TypeInfo { return nil }

// InType implements NodeImpl.
func (s *SinkNode[T]) InType(int) TypeInfo { return s.In }

type sinkOperator[T any] struct {
	ctx  *operator.Context
	sink connector.Sink[T]
	w    connector.SinkWriter[T]
}

func (s *sinkOperator[T]) Open() error {
	w, err := s.sink.CreateWriter(connector.SinkContext{Subtask: s.ctx.Subtask, Parallelism: s.ctx.Parallelism, Logger: s.ctx.Logger})
	if err != nil {
		return operator.WrapOperatorError(s.ctx.Node.Name, err)
	}
	s.w = w
	return nil
}

func (s *sinkOperator[T]) Collect(v T) error {
	if err := s.w.Write(v); err != nil {
		return operator.WrapOperatorError(s.ctx.Node.Name, err)
	}
	return nil
}

func (s *sinkOperator[T]) EmitWatermark(operator.Watermark) error { return nil }

func (s *sinkOperator[T]) Finish() error {
	if err := s.w.Flush(true); err != nil {
		return operator.WrapOperatorError(s.ctx.Node.Name, err)
	}
	if cw, ok := s.w.(connector.CheckpointedSinkWriter); ok {
		if _, err := cw.PrepareCommit(connector.FinalCheckpoint); err != nil {
			return operator.WrapOperatorError(s.ctx.Node.Name, err)
		}
	}
	return nil
}

// SnapshotState flushes the writer and, for a two-phase-commit writer,
// seals its output and stores the committables.
func (s *sinkOperator[T]) SnapshotState(id int64) (operator.OperatorSnapshot, error) {
	if err := s.w.Flush(false); err != nil {
		return operator.OperatorSnapshot{}, operator.WrapOperatorError(s.ctx.Node.Name, err)
	}
	cw, ok := s.w.(connector.CheckpointedSinkWriter)
	if !ok {
		return operator.OperatorSnapshot{}, nil
	}
	c, err := cw.PrepareCommit(id)
	if err != nil {
		return operator.OperatorSnapshot{}, operator.WrapOperatorError(s.ctx.Node.Name, err)
	}
	if c == nil {
		c = [][]byte{}
	}
	return operator.OperatorSnapshot{Lists: []operator.ListSnapshot{{Name: sinkCommittablesState, Mode: checkpoint.SplitDistribute, Entries: c}}}, nil
}

// NotifyCheckpointComplete commits what the writer prepared up to id.
func (s *sinkOperator[T]) NotifyCheckpointComplete(id int64) error {
	if cw, ok := s.w.(connector.CheckpointedSinkWriter); ok {
		return operator.WrapOperatorError(s.ctx.Node.Name, cw.NotifyCheckpointComplete(id))
	}
	return nil
}

// recover runs the sink's recovery once per attempt: RecoverFrom for a
// connector.RetractingSink, else Recover for a RecoverableSink.
func (s *SinkNode[T]) recover(ctx context.Context, info connector.RestoreInfo, committables [][]byte) error {
	if rs, ok := s.Sink.(connector.RetractingSink); ok {
		return rs.RecoverFrom(ctx, info, committables)
	}
	if rs, ok := s.Sink.(connector.RecoverableSink); ok {
		return rs.Recover(ctx, committables)
	}
	return nil
}

// retracts reports whether the sink is a RetractingSink.
func (s *SinkNode[T]) retracts() bool {
	_, ok := s.Sink.(connector.RetractingSink)
	return ok
}

func (s *sinkOperator[T]) Close() error {
	if s.w == nil {
		return nil
	}
	return operator.WrapOperatorError(s.ctx.Node.Name, s.w.Close())
}
