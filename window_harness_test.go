package weir

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/internal/keygroup"
	"github.com/weirstream/weir/operator"
)

// This file drives window and join operators directly, as Flink's operator
// test harnesses do: records, watermarks and processing time are fed by
// hand, one at a time, so every step of a golden scenario is exact, also
// for two-input operators whose inputs a job would interleave freely.

// winClock is a ProcessingTimeService whose time moves only by advance.
type winClock struct {
	now     int64 // ms
	pending []*winPending
}

type winPending struct {
	at        int64
	f         func() error
	cancelled bool
}

func (c *winClock) Now() time.Time { return time.UnixMilli(c.now) }

func (c *winClock) At(t time.Time, f func() error) func() {
	p := &winPending{at: t.UnixMilli(), f: f}
	c.pending = append(c.pending, p)
	return func() { p.cancelled = true }
}

// advance moves the clock to ms, running what falls due in time order.
func (c *winClock) advance(ms int64) error {
	c.now = ms
	for {
		i := -1
		for j, p := range c.pending {
			if !p.cancelled && p.at <= ms && (i < 0 || p.at < c.pending[i].at) {
				i = j
			}
		}
		if i < 0 {
			return nil
		}
		p := c.pending[i]
		c.pending = slices.Delete(c.pending, i, i+1)
		if err := p.f(); err != nil {
			return err
		}
	}
}

// winRecorder is an Output that writes each record as "value@timestamp".
type winRecorder[T any] struct {
	rc  *operator.RecordContext
	got []string
	wms []operator.Watermark
}

func (r *winRecorder[T]) Collect(v T) error {
	r.got = append(r.got, fmt.Sprintf("%v@%d", v, r.rc.Timestamp))
	return nil
}

func (r *winRecorder[T]) EmitWatermark(wm operator.Watermark) error {
	r.wms = append(r.wms, wm)
	return nil
}

// take returns what was recorded since the last take.
func (r *winRecorder[T]) take() []string {
	got := r.got
	r.got = nil
	return got
}

type winHarness[O any] struct {
	t     *testing.T
	ctx   *operator.Context
	clock *winClock
	out   *winRecorder[O]
	ins   []any
	op    operator.Operator
	logs  *bytes.Buffer
}

// newWinHarness builds the operator that ds's node declares as subtask 0 of 1,
// with side outputs for the given tags, from restore (nil: fresh), and
// opens it.
func newWinHarness[O any](t *testing.T, ds DataStream[O], restore *operator.OperatorRestore, side map[string]any) *winHarness[O] {
	t.Helper()
	const maxP = 128
	rc := &operator.RecordContext{}
	logs := &bytes.Buffer{}
	h := &winHarness[O]{t: t, clock: &winClock{}, out: &winRecorder[O]{rc: rc}, logs: logs}
	h.ctx = &operator.Context{Context: context.Background(), Node: ds.node, Parallelism: 1, MaxParallelism: maxP,
		KeyGroups: keygroup.RangeFor(maxP, 1, 0), Logger: slog.New(slog.NewTextHandler(logs, nil)), Restore: restore,
		Record: rc, Timers: h.clock, SideOutputs: side}
	for _, s := range side {
		if r, ok := s.(interface{ setRC(*operator.RecordContext) }); ok {
			r.setRC(rc)
		}
	}
	ins, op, err := ds.node.Impl.(operator.NodeImpl).Build(h.ctx, operator.Output[O](h.out))
	if err != nil {
		t.Fatal(err)
	}
	h.ins, h.op = ins, op
	if err := op.Open(); err != nil {
		t.Fatal(err)
	}
	return h
}

func (r *winRecorder[T]) setRC(rc *operator.RecordContext) { r.rc = rc }

// winPush feeds v with event time ts to input i.
func winPush[T, O any](h *winHarness[O], i int, v T, ts int64) {
	h.t.Helper()
	h.ctx.Record.Timestamp, h.ctx.Record.HasTimestamp = ts, true
	if err := h.ins[i].(operator.Output[T]).Collect(v); err != nil {
		h.t.Fatal(err)
	}
}

func (h *winHarness[O]) watermark(ts int64) {
	h.t.Helper()
	if err := h.ins[0].(interface {
		EmitWatermark(operator.Watermark) error
	}).EmitWatermark(operator.Watermark{Time: ts}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *winHarness[O]) advance(ms int64) {
	h.t.Helper()
	if err := h.clock.advance(ms); err != nil {
		h.t.Fatal(err)
	}
}

// expect checks the records emitted since the last check, in any order.
func (h *winHarness[O]) expect(what string, want ...string) {
	h.t.Helper()
	got := h.out.take()
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		h.t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// snapshot takes the operator's keyed state as a restore would see it.
func (h *winHarness[O]) snapshot() *operator.OperatorRestore {
	h.t.Helper()
	s, err := h.op.(operator.StatefulOperator).SnapshotState(1)
	if err != nil {
		h.t.Fatal(err)
	}
	var buf bytes.Buffer
	offsets, _, err := s.Keyed.(operator.SectionSnapshot).WriteSections(&buf)
	if err != nil {
		h.t.Fatal(err)
	}
	s.Keyed.Release()
	return &operator.OperatorRestore{Keyed: []operator.KeyedRestore{{KeyGroups: s.KeyGroups, Offsets: offsets, Data: buf.Bytes()}}}
}

func (h *winHarness[O]) close() {
	h.t.Helper()
	if err := h.op.Finish(); err != nil {
		h.t.Fatal(err)
	}
	if err := h.op.Close(); err != nil {
		h.t.Fatal(err)
	}
}

// winRec is a test record: a key and a name.
type winRec struct {
	Key, Name string
}

func (r winRec) String() string { return r.Name }

func winKeyed[T any](e *Environment, key func(T) string) KeyedStream[string, T] {
	return KeyBy(FromSource(e, winEmptySource[T]{}, "In"), key)
}

type winEmptySource[T any] struct{}

func (winEmptySource[T]) CreateReader(SourceContext) (SourceReader[T], error) {
	return winEmptyReader[T]{}, nil
}

type winEmptyReader[T any] struct{}

func (winEmptyReader[T]) Fetch(_ context.Context, buf []T) ([]T, [][]byte, error) {
	return buf, nil, io.EOF
}
func (winEmptyReader[T]) Close() error { return nil }

func winRecKey(r winRec) string { return r.Key }

func TestIntervalJoinHarness(t *testing.T) {
	// b joins a when b.ts is in [a.ts-2, a.ts+3]. Each side keeps a record
	// until the watermark passes the last time a partner can come: a.ts+3
	// for a, b.ts+2 for b (b.ts - lower).
	e := NewEnvironment(nil)
	j := IntervalJoin(winKeyed(e, winRecKey), winKeyed(e, winRecKey), -2*time.Millisecond, 3*time.Millisecond,
		func(a, b winRec) (string, error) { return a.Name + "+" + b.Name, nil })
	h := newWinHarness(t, j, nil, nil)
	winPush(h, 0, winRec{"k", "a1"}, 10)
	winPush(h, 1, winRec{"k", "b1"}, 8) // 8 in [8,13]
	h.expect("b1 joins a1 at the larger timestamp", "a1+b1@10")
	winPush(h, 1, winRec{"k", "b2"}, 14) // 14 > 13
	winPush(h, 1, winRec{"x", "bx"}, 10) // other key
	h.expect("b2 is outside a1's interval")
	winPush(h, 0, winRec{"k", "a2"}, 12) // [10,15]: b2@14
	h.expect("a2 joins b2", "a2+b2@14")
	winPush(h, 1, winRec{"k", "b3"}, 11) // a's in [11-3, 11+2] = [8,13]: a1@10, a2@12
	h.expect("b3 joins both", "a1+b3@11", "a2+b3@12")
	// Watermark 13: a1 (cleanup 13) goes; b1 (cleanup 10) and b3 (13) go.
	h.watermark(13)
	winPush(h, 0, winRec{"k", "a3"}, 13) // [11,16]: only b2@14 is left (b3 was dropped)
	h.expect("after cleanup only b2 is left for a3", "a3+b2@14")
	winPush(h, 1, winRec{"k", "b4"}, 14) // a's in [11,16]: a2@12 (cleanup 15), a3@13
	h.expect("b4 joins a2 and a3", "a2+b4@14", "a3+b4@14")
	// A record below the watermark is late: dropped and counted.
	winPush(h, 0, winRec{"k", "late"}, 12)
	h.expect("a late record joins nothing")
	// Snapshot and restore: the buffers and cleanup timers survive.
	h2 := newWinHarness(t, j, h.snapshot(), nil)
	h.close()
	if !strings.Contains(h.logs.String(), "numLateRecordsDropped=1") {
		t.Fatalf("late record not reported: %s", h.logs.String())
	}
	winPush(h2, 1, winRec{"k", "b5"}, 15) // restored a's in [12,17]: a2@12, a3@13
	h2.expect("restored buffers join", "a2+b5@15", "a3+b5@15")
	h2.watermark(16)                      // a2 (15), a3 (16), b2 (16) go
	winPush(h2, 1, winRec{"k", "b6"}, 17) // a's in [14,19]: none left
	winPush(h2, 0, winRec{"k", "a4"}, 17) // b's in [15,20]: b5@15 and b6@17 (b2, b4 at 14 went at 16)
	h2.expect("restored timers cleaned", "a4+b5@17", "a4+b6@17")
	h2.close()
	if wms := h2.out.wms; len(wms) != 1 || wms[0].Time != 16 {
		t.Fatalf("watermarks forwarded: %v", wms)
	}
}

func TestWindowJoinHarness(t *testing.T) {
	// Tumbling windows of 10: pairs of each key and window, a-records
	// outer, stamped 9 and 19; a record for a cleaned window is dropped.
	e := NewEnvironment(nil)
	j := JoinWindow(winKeyed(e, winRecKey), winKeyed(e, winRecKey), TumblingEventTimeWindows(10*time.Millisecond),
		func(a, b winRec) (string, error) { return a.Name + "+" + b.Name, nil })
	h := newWinHarness(t, j, nil, nil)
	winPush(h, 0, winRec{"k", "a1"}, 1)
	winPush(h, 1, winRec{"k", "b1"}, 2)
	winPush(h, 0, winRec{"k", "a2"}, 4)
	winPush(h, 1, winRec{"k", "b2"}, 9)
	winPush(h, 1, winRec{"x", "bx"}, 5) // no a for x: inner join, nothing
	winPush(h, 0, winRec{"k", "a3"}, 12)
	h.expect("nothing before the watermark")
	h.watermark(9)
	h.expect("[0,10) fires", "a1+b1@9", "a1+b2@9", "a2+b1@9", "a2+b2@9")
	winPush(h, 1, winRec{"k", "late"}, 3)
	winPush(h, 1, winRec{"k", "b3"}, 15)
	restored := newWinHarness(t, j, h.snapshot(), nil)
	h.watermark(operator.MaxWatermark)
	h.expect("the end fires [10,20)", "a3+b3@19")
	h.close()
	if !strings.Contains(h.logs.String(), "numLateRecordsDropped=1") {
		t.Fatalf("late record not reported: %s", h.logs.String())
	}
	restored.watermark(19)
	restored.expect("the restored window fires", "a3+b3@19")
	restored.close()
}

// winMatcher pairs orders (input 1) with payments (input 2) of the same key
// within 10 ms of event time; what stays unmatched is reported by an
// event-time timer 10 ms after it, to the side output "unmatched". A
// processing-time timer 100 ms after the first record of a key says
// "slow".
type winMatcher struct {
	order, payment ValueState[winRec]
	slow           ValueState[bool]
}

var winUnmatched = NewOutputTag[string]("unmatched")

func (m *winMatcher) Open(ctx *OpenContext[string]) (err error) {
	if m.order, err = NewValueState[winRec](ctx, "order"); err != nil {
		return err
	}
	if m.slow, err = NewValueState[bool](ctx, "slow"); err != nil {
		return err
	}
	m.payment, err = NewValueState[winRec](ctx, "payment")
	return err
}

func (m *winMatcher) process(ctx *Context[string], mine, other ValueState[winRec], r winRec, out Collector[string]) error {
	ts, _ := ctx.Timestamp()
	if _, ok, _ := m.slow.Value(); !ok {
		m.slow.Update(true)
		if err := ctx.TimerService().RegisterProcessingTimeTimer(ctx.TimerService().CurrentProcessingTime() + 100); err != nil {
			return err
		}
	}
	if o, ok, _ := other.Value(); ok {
		out.Collect(fmt.Sprintf("%s matched %s", r.Name, o.Name))
		return other.Clear()
	}
	mine.Update(r)
	return ctx.TimerService().RegisterEventTimeTimer(ts + 10)
}

func (m *winMatcher) ProcessElement1(ctx *Context[string], r winRec, out Collector[string]) error {
	return m.process(ctx, m.order, m.payment, r, out)
}

func (m *winMatcher) ProcessElement2(ctx *Context[string], r winRec, out Collector[string]) error {
	return m.process(ctx, m.payment, m.order, r, out)
}

func (m *winMatcher) OnTimer(ctx *Context[string], ts int64, out Collector[string]) error {
	if ctx.TimeDomain() == ProcessingTime {
		out.Collect(ctx.CurrentKey() + " slow")
		return nil
	}
	for _, s := range []ValueState[winRec]{m.order, m.payment} {
		if r, ok, _ := s.Value(); ok {
			if err := EmitTo(ctx, winUnmatched, fmt.Sprintf("%s winUnmatched at %d", r.Name, ts)); err != nil {
				return err
			}
			s.Clear()
		}
	}
	return nil
}

func TestCoProcessHarness(t *testing.T) {
	e := NewEnvironment(nil)
	c := CoProcess(winKeyed(e, winRecKey), winKeyed(e, winRecKey), func() KeyedCoProcessFunction[string, winRec, winRec, string] { return &winMatcher{} })
	side, side2 := &winRecorder[string]{}, &winRecorder[string]{}
	h := newWinHarness(t, c, nil, map[string]any{winUnmatched.ID(): operator.Output[string](side)})
	h.advance(1000)
	winPush(h, 0, winRec{"k1", "o1"}, 5)
	winPush(h, 1, winRec{"k1", "p1"}, 8)
	h.expect("o1 and p1 match", "p1 matched o1@8")
	winPush(h, 0, winRec{"k2", "o2"}, 6) // timer at 16
	h.watermark(15)
	if got := side.take(); len(got) != 0 {
		t.Fatalf("side output before the timer: %q", got)
	}
	restored := newWinHarness(t, c, h.snapshot(), map[string]any{winUnmatched.ID(): operator.Output[string](side2)})
	h.watermark(16)
	if got := side.take(); !slices.Equal(got, []string{"o2 winUnmatched at 16@16"}) {
		t.Fatalf("side output %q", got)
	}
	h.advance(1099)
	h.expect("no processing-time timer before 1100")
	h.advance(1100)
	h.expect("processing-time timers at 1100", "k1 slow@1100", "k2 slow@1100")
	h.close()
	// The restored instance has o2 and its timer, and the processing-time
	// timers (its clock starts at 0 and is moved past them).
	restored.watermark(20)
	if got := side2.take(); !slices.Equal(got, []string{"o2 winUnmatched at 16@16"}) {
		t.Fatalf("restored side output %q", got)
	}
	restored.advance(2000)
	restored.expect("restored processing-time timers", "k1 slow@1100", "k2 slow@1100")
	restored.close()
}

func TestProcessingTimeWindowsHarness(t *testing.T) {
	e := NewEnvironment(nil)
	format := func(ctx WindowContext[string], v []int64, out Collector[string]) error {
		out.Collect(fmt.Sprintf("%s %v %d", ctx.Key, ctx.Window, v[0]))
		return nil
	}
	t.Run("tumbling", func(t *testing.T) {
		w := AggregateProcessWindow(Window(winKeyed(e, winRecKey), TumblingProcessingTimeWindows(10*time.Millisecond)), winRecCount{}, format)
		h := newWinHarness(t, w, nil, nil)
		h.advance(1003)
		winPush(h, 0, winRec{"a", "x"}, 0) // event time is ignored
		h.advance(1009)
		winPush(h, 0, winRec{"a", "y"}, 0)
		winPush(h, 0, winRec{"b", "z"}, 0)
		h.expect("nothing before the window ends")
		// Flink fires a processing-time timer at t once the clock is past
		// t: [1000,1010) at 1010.
		h.advance(1010)
		h.expect("[1000,1010) fires at 1010", "a [1000,1010) 2@1009", "b [1000,1010) 1@1009")
		h.advance(1015)
		winPush(h, 0, winRec{"a", "w"}, 0)
		h.close() // the end of the input fires the open window
		h.expect("the end fires [1010,1020)", "a [1010,1020) 1@1019")
	})
	t.Run("session", func(t *testing.T) {
		w := AggregateProcessWindow(Window(winKeyed(e, winRecKey), ProcessingTimeSessionWindows(5*time.Millisecond)), winRecCount{}, format)
		h := newWinHarness(t, w, nil, nil)
		h.advance(100)
		winPush(h, 0, winRec{"a", "x"}, 0) // [100,105)
		h.advance(104)
		winPush(h, 0, winRec{"a", "y"}, 0) // [104,109): merged [100,109)
		h.advance(106)
		h.expect("the merged session is still open")
		h.advance(109)
		h.expect("[100,109) fires", "a [100,109) 2@108")
		h.close()
	})
}

// winRecCount counts records; it merges, for sessions.
type winRecCount struct{}

func (winRecCount) CreateAccumulator() int64               { return 0 }
func (winRecCount) Add(_ winRec, acc int64) (int64, error) { return acc + 1, nil }
func (winRecCount) Result(acc int64) (int64, error)        { return acc, nil }
func (winRecCount) Merge(a, b int64) (int64, error)        { return a + b, nil }

func TestWindowStateSurvivesRestoreHarness(t *testing.T) {
	// Sessions with allowed lateness: state, merging windows and cleanup
	// timers are restored mid-way, and the restored operator goes on as the
	// original does.
	e := NewEnvironment(nil)
	ws := Window(winKeyed(e, winRecKey), EventTimeSessionWindows(5*time.Millisecond)).AllowedLateness(10 * time.Millisecond)
	w := ProcessWindow(ws, func(ctx WindowContext[string], rs []winRec, out Collector[string]) error {
		var names []string
		for _, r := range rs {
			names = append(names, r.Name)
		}
		out.Collect(fmt.Sprintf("%s %v %s", ctx.Key, ctx.Window, strings.Join(names, ",")))
		return nil
	})
	feed := func(h *winHarness[string], steps []func(h *winHarness[string])) []string {
		var all []string
		for _, s := range steps {
			s(h)
			got := h.out.take()
			slices.Sort(got)
			all = append(all, got...)
		}
		return all
	}
	steps := []func(h *winHarness[string]){
		func(h *winHarness[string]) { winPush(h, 0, winRec{"a", "x1"}, 1); winPush(h, 0, winRec{"a", "x2"}, 9) },
		func(h *winHarness[string]) { winPush(h, 0, winRec{"a", "x3"}, 5) },  // bridges [1,6) and [9,14): [1,14)
		func(h *winHarness[string]) { h.watermark(13) },                      // fires [1,14)
		func(h *winHarness[string]) { winPush(h, 0, winRec{"a", "x4"}, 14) }, // touches [1,14): [1,19), due at 18
		func(h *winHarness[string]) { h.watermark(30) },                      // fires [1,19); cleans it at 18+10
		func(h *winHarness[string]) { winPush(h, 0, winRec{"a", "x5"}, 15) }, // [15,20) cleaned at 29 <= 30: dropped
		func(h *winHarness[string]) { winPush(h, 0, winRec{"a", "x6"}, 40); h.watermark(50) },
	}
	want := feed(newWinHarness(t, w, nil, nil), steps)
	for cut := 1; cut < len(steps); cut++ {
		h := newWinHarness(t, w, nil, nil)
		first := feed(h, steps[:cut])
		r := newWinHarness(t, w, h.snapshot(), nil)
		// Event time is not checkpointed: replay the watermark the
		// original had reached, as the sources would after a restore.
		if wm := h.op.(interface{ CurrentWatermark() int64 }).CurrentWatermark(); wm != winMinWM {
			r.watermark(wm)
			if got := r.out.take(); len(got) != 0 {
				t.Fatalf("cut %d: re-reaching watermark %d fired %q", cut, wm, got)
			}
		}
		got := append(first, feed(r, steps[cut:])...)
		if !slices.Equal(got, want) {
			t.Fatalf("restored at step %d:\n got %q\nwant %q", cut, got, want)
		}
		h.close()
		r.close()
	}
	if !slices.Equal(want, []string{"a [1,14) x1,x2,x3@13", "a [1,19) x1,x2,x3,x4@18", "a [40,45) x6@44"}) {
		t.Fatalf("uninterrupted run: %q", want)
	}
}

const winMinWM = operator.MinWatermark
