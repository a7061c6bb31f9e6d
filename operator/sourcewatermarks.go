package operator

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/weirstream/weir/connector"
)

// splitWatermarks merges the watermarks of the splits of one source
// subtask: one generator per live split, and the output watermark is the
// minimum over the live splits that are not idle. Emitted watermarks never
// go back. It runs on the subtask's goroutine and takes the time as an
// argument, so that it can be tested with a made-up clock.
type splitWatermarks struct {
	newGen   func() WatermarkGenerator
	idleness time.Duration
	emit     func(Watermark) error

	byID   map[string]*splitClock
	splits []*splitClock // the live splits, in order of arrival
	last   int64         // the last watermark emitted
	idle   bool          // the output is marked idle
	done   bool          // event time has ended: nothing more goes out

	// The subtask as a whole, for idleness when no split is live (none has
	// started yet, or all have finished).
	records, seen int64
	activeAt      time.Time
	quiet         bool // no record for the idleness timeout
}

// splitClock is the event-time state of one split.
type splitClock struct {
	id  string
	gen WatermarkGenerator
	wm  int64 // the highest watermark its generator returned
	// Idleness, as Flink's IdlenessTimer: records counts what arrived;
	// each periodic emission compares it with the count it saw before, so
	// the clock is read once per interval, not once per record.
	records, seen int64
	activeAt      time.Time
	idle          bool
}

func newSplitWatermarks(newGen func() WatermarkGenerator, idleness time.Duration, now time.Time, emit func(Watermark) error) *splitWatermarks {
	return &splitWatermarks{newGen: newGen, idleness: idleness, emit: emit,
		byID: map[string]*splitClock{}, last: MinWatermark, activeAt: now}
}

// split returns the live split named id, starting it if it is new.
func (m *splitWatermarks) split(id string) *splitClock {
	if sp, ok := m.byID[id]; ok {
		return sp
	}
	sp := &splitClock{id: id, gen: m.newGen(), wm: MinWatermark}
	m.byID[id] = sp
	m.splits = append(m.splits, sp)
	return sp
}

// event takes the timestamp of a record of sp, after the record went out.
func (m *splitWatermarks) event(sp *splitClock, ts int64) error {
	sp.records++
	m.records++
	sp.idle, m.idle, m.quiet = false, false, false // the record itself tells downstream
	if wm, ok := sp.gen.OnEvent(ts); ok && wm > sp.wm {
		sp.wm = wm
		return m.merge()
	}
	return nil
}

// finish drops split id: it no longer holds event time back.
func (m *splitWatermarks) finish(id string) error {
	sp, ok := m.byID[id]
	if !ok {
		return nil
	}
	delete(m.byID, id)
	if i := slices.Index(m.splits, sp); i >= 0 {
		m.splits = slices.Delete(m.splits, i, i+1)
	}
	return m.merge()
}

// periodic asks every live split's generator for a watermark, updates
// idleness as of now, and emits what changed.
func (m *splitWatermarks) periodic(now time.Time) error {
	if m.done {
		return nil
	}
	for _, sp := range m.splits {
		if wm, ok := sp.gen.OnPeriodicEmit(); ok && wm > sp.wm {
			sp.wm = wm
		}
		if m.idleness <= 0 {
			continue
		}
		if sp.records != sp.seen {
			sp.seen, sp.activeAt = sp.records, now
		} else if !sp.idle && now.Sub(sp.activeAt) >= m.idleness {
			sp.idle = true
		}
	}
	if m.idleness > 0 {
		if m.records != m.seen {
			m.seen, m.activeAt, m.quiet = m.records, now, false
		} else if now.Sub(m.activeAt) >= m.idleness {
			m.quiet = true
		}
	}
	return m.merge()
}

// merge computes the output watermark and emits it when it moved forward,
// or marks the output idle when no split is active.
func (m *splitWatermarks) merge() error {
	if m.done {
		return nil
	}
	low, active := MaxWatermark, false
	for _, sp := range m.splits {
		if !sp.idle {
			low, active = min(low, sp.wm), true
		}
	}
	if !active {
		// Every live split is idle, or none is live and the subtask has
		// been quiet for the idleness timeout: do not hold time back.
		// With no live split and no idleness, hold: more splits may come.
		if (len(m.splits) > 0 || m.quiet) && !m.idle {
			m.idle = true
			return m.emit(Watermark{Idle: true})
		}
		return nil
	}
	if low > m.last {
		m.last, m.idle = low, false
		return m.emit(Watermark{Time: low})
	}
	return nil
}

// end ends event time: it emits MaxWatermark, and nothing after it.
func (m *splitWatermarks) end() error {
	if m.done {
		return nil
	}
	m.done, m.last = true, MaxWatermark
	return m.emit(Watermark{Time: MaxWatermark})
}

// sourceTimestamps is the event-time part of a source operator whose node
// has SourceWatermarks: it stamps the records, drives the generators and
// emits the watermarks.
type sourceTimestamps[T any] struct {
	ctx     *Context
	cfg     *SourceWatermarks[T]
	out     Output[T]
	fetcher connector.SplitFetcher[T] // the reader, when it reports splits
	merge   *splitWatermarks
	whole   *splitClock                // the subtask's only split when the reader reports none
	free    chan *connector.SplitBatch // batch descriptions to reuse
	cancel  func()                     // the pending periodic emission
}

func newSourceTimestamps[T any](ctx *Context, cfg *SourceWatermarks[T], r connector.SourceReader[T], out Output[T]) *sourceTimestamps[T] {
	t := &sourceTimestamps[T]{ctx: ctx, cfg: cfg, out: out}
	t.merge = newSplitWatermarks(cfg.NewGenerator, cfg.Idleness, ctx.Timers.Now(), out.EmitWatermark)
	if f, ok := r.(connector.SplitFetcher[T]); ok {
		t.fetcher = f
		t.free = make(chan *connector.SplitBatch, 3)
	} else {
		t.whole = t.merge.split("")
	}
	if cfg.Interval > 0 {
		t.schedule()
	}
	return t
}

func (t *sourceTimestamps[T]) schedule() {
	t.cancel = t.ctx.Timers.At(t.ctx.Timers.Now().Add(t.cfg.Interval), t.tick)
}

func (t *sourceTimestamps[T]) tick() error {
	if t.merge.done {
		return nil
	}
	if err := t.merge.periodic(t.ctx.Timers.Now()); err != nil {
		return err
	}
	t.schedule()
	return nil
}

// read fetches a batch with the reader, through FetchSplits when the
// source emits watermarks and the reader reports splits. It runs on the
// fetcher goroutine.
func (s *sourceOperator[T]) read(ctx context.Context, buf []T) ([]T, *connector.SplitBatch, [][]byte, error) {
	if s.ts == nil || s.ts.fetcher == nil {
		recs, pos, err := s.reader.Fetch(ctx, buf)
		return recs, nil, pos, err
	}
	var sb *connector.SplitBatch
	select {
	case sb = <-s.ts.free:
	default:
		sb = &connector.SplitBatch{}
	}
	recs, pos, err := s.ts.fetcher.FetchSplits(ctx, buf, sb)
	return recs, sb, pos, err
}

// endEventTime emits MaxWatermark at the end of the input: every event-time
// timer fires.
func (s *sourceOperator[T]) endEventTime() error {
	if s.ts != nil {
		return s.ts.merge.end()
	}
	return s.out.EmitWatermark(Watermark{Time: MaxWatermark})
}

// emit stamps and emits a batch's records, feeding each record's split's
// generator, then retires the splits the batch says have finished.
func (t *sourceTimestamps[T]) emit(recs []T, sb *connector.SplitBatch) error {
	if sb == nil {
		return t.emitRun(t.whole, recs)
	}
	i := 0
	for _, run := range sb.Runs {
		if run.Records < 0 || run.Records > len(recs)-i {
			return WrapOperatorError(t.ctx.Node.Name, fmt.Errorf("source reader described %d records in splits, but fetched %d", i+run.Records, len(recs)))
		}
		if run.Records == 0 {
			continue
		}
		if err := t.emitRun(t.merge.split(run.ID), recs[i:i+run.Records]); err != nil {
			return err
		}
		i += run.Records
	}
	if i != len(recs) {
		return WrapOperatorError(t.ctx.Node.Name, fmt.Errorf("source reader described %d records in splits, but fetched %d", i, len(recs)))
	}
	for _, id := range sb.Finished {
		if err := t.merge.finish(id); err != nil {
			return err
		}
	}
	sb.Reset()
	select {
	case t.free <- sb:
	default:
	}
	return nil
}

// emitRun stamps and emits records of split sp, feeding its generator.
func (t *sourceTimestamps[T]) emitRun(sp *splitClock, recs []T) error {
	rc := t.ctx.Record
	for _, r := range recs {
		ts := t.cfg.Timestamp(r)
		rc.Timestamp, rc.HasTimestamp = ts, true
		if err := t.out.Collect(r); err != nil {
			return err
		}
		if err := t.merge.event(sp, ts); err != nil {
			return err
		}
	}
	return nil
}

func (t *sourceTimestamps[T]) close() {
	if t.cancel != nil {
		t.cancel()
	}
}
