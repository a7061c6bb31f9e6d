package weir_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/connector/collect"
	"github.com/weirstream/weir/internal/testutil"
)

// winPunctuated emits a watermark with every record: the highest timestamp
// seen minus delay minus 1, as ForBoundedOutOfOrderness would, but at once.
// With one source subtask the watermark each record meets downstream then
// depends only on the input order, so golden outputs are exact. (Periodic
// emission is off in these tests: pipeline.auto-watermark-interval=0.)
type winPunctuated struct {
	delay, max int64
	seen       bool
}

func (p *winPunctuated) OnEvent(ts int64) (int64, bool) {
	if !p.seen || ts > p.max {
		p.max, p.seen = ts, true
	}
	return p.max - p.delay - 1, true
}
func (p *winPunctuated) OnPeriodicEmit() (int64, bool) { return 0, false }

// winTick is the key of records that only move event time: they go through
// the watermark assigner and are dropped right after it.
const winTick = "~tick"

// winGoldenRun runs events, in order, from one source subtask with
// watermarks trailing the highest timestamp by delay+1 (winPunctuated),
// through the operators declare adds to the keyed stream (at parallelism
// 2), and returns the sorted records of the main output and of the late
// output (if declare returns one), each followed by "@" and its event
// timestamp, and the job's log.
func winGoldenRun(t *testing.T, events []event, delay int64,
	declare func(ks weir.KeyedStream[string, event]) (main, late weir.DataStream[string])) (got, late []string, log string) {
	t.Helper()
	e := env(t, "parallelism.default=2", "pipeline.auto-watermark-interval=0")
	var logs testutil.LockedBuffer
	e.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	src := weir.FromSource(e, sliceSource[event]{events}, "Events").SetParallelism(1)
	ts := weir.AssignTimestampsAndWatermarks(src, weir.ForGenerator(func(e event) int64 { return e.TS },
		func() weir.WatermarkGenerator { return &winPunctuated{delay: delay} })).SetParallelism(1)
	data := weir.Filter(ts, func(e event) (bool, error) { return e.Key != winTick, nil }).SetParallelism(1)
	main, lateOut := declare(weir.KeyBy(data, func(e event) string { return e.Key }))
	sink, lateSink := collect.New[string](), collect.New[string]()
	winStamped(main).SinkTo(sink, "Collect").SetParallelism(1)
	if lateOut.Env() != nil {
		winStamped(lateOut).SinkTo(lateSink, "Late").SetParallelism(1)
	}
	if err := e.Execute(context.Background(), t.Name()); err != nil {
		t.Fatal(err)
	}
	got, late = sink.Records(), lateSink.Records()
	slices.Sort(got)
	slices.Sort(late)
	return got, late, logs.String()
}

// stamped appends each record's event timestamp: "@ts", or "@-" for none.
func winStamped(s weir.DataStream[string]) weir.DataStream[string] {
	return weir.Process(weir.KeyBy(s, func(string) int { return 0 }), func() weir.KeyedProcessFunction[int, string, string] { return winStampFn{} })
}

type winStampFn struct{}

func (winStampFn) Open(*weir.OpenContext[int]) error { return nil }
func (winStampFn) ProcessElement(ctx *weir.Context[int], s string, out weir.Collector[string]) error {
	if ts, ok := ctx.Timestamp(); ok {
		out.Collect(fmt.Sprintf("%s@%d", s, ts))
	} else {
		out.Collect(s + "@-")
	}
	return nil
}

// winCountAgg counts records; it merges, so it works with sessions.
type winCountAgg struct{}

func (winCountAgg) CreateAccumulator() int64              { return 0 }
func (winCountAgg) Add(_ event, acc int64) (int64, error) { return acc + 1, nil }
func (winCountAgg) Result(acc int64) (int64, error)       { return acc, nil }
func (winCountAgg) Merge(a, b int64) (int64, error)       { return a + b, nil }

// winFormatCount writes "key [start,end) count".
func winFormatCount(ctx weir.WindowContext[string], v []int64, out weir.Collector[string]) error {
	out.Collect(fmt.Sprintf("%s %v %d", ctx.Key, ctx.Window, v[0]))
	return nil
}

// winLateStrings formats the late side output as "key@ts".
func winLateStrings(s weir.DataStream[string], tag weir.OutputTag[event]) weir.DataStream[string] {
	return weir.Map(weir.SideOutput(s, tag), func(e event) (string, error) { return fmt.Sprintf("%s@%d", e.Key, e.TS), nil })
}

var winLateEvents = weir.NewOutputTag[event]("late-events")

func winCheckLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func TestTumblingEventTimeGolden(t *testing.T) {
	defer goleak.VerifyNone(t)
	// Windows of 10 ms; the watermark trails the highest timestamp by 1
	// (delay 0) and moves with every record:
	//   a@1  wm 0
	//   a@5  wm 4
	//   b@3  out of order but on time ([0,10) ends at 9 > 4)
	//   a@12 wm 11: fires [0,10): a {1,5} = 2, b {3} = 1; cleans it (no lateness)
	//   a@7  its window [0,10) was cleaned at 9 <= 11: late, to the side output
	//   b@15 wm 14
	//   a@19 wm 18
	//   a@20 wm 19: fires [10,20): a {12,19} = 2, b {15} = 1
	//   b@25 wm 24
	// The end of the input (watermark MaxInt64) fires [20,30): a {20}, b {25}.
	// Every result carries its window's MaxTimestamp: 9, 19, 29.
	events := []event{{"a", 1, 1}, {"a", 5, 1}, {"b", 3, 1}, {"a", 12, 1}, {"a", 7, 1}, {"b", 15, 1}, {"a", 19, 1}, {"a", 20, 1}, {"b", 25, 1}}
	got, late, _ := winGoldenRun(t, events, 0, func(ks weir.KeyedStream[string, event]) (weir.DataStream[string], weir.DataStream[string]) {
		ws := weir.Window(ks, weir.TumblingEventTimeWindows(10*time.Millisecond)).SideOutputLateData(winLateEvents)
		out := weir.AggregateProcessWindow(ws, winCountAgg{}, winFormatCount)
		return out, winLateStrings(out, winLateEvents)
	})
	winCheckLines(t, "windows", got, []string{
		"a [0,10) 2@9", "b [0,10) 1@9", "a [10,20) 2@19", "b [10,20) 1@19", "a [20,30) 1@29", "b [20,30) 1@29"})
	winCheckLines(t, "late", late, []string{"a@7@7"})
}

func TestSlidingEventTimeGolden(t *testing.T) {
	defer goleak.VerifyNone(t)
	// Windows of 10 ms every 5 ms: a record at t is in [s,s+10) for the
	// two starts s <= t < s+10 that are multiples of 5. The watermark
	// trails the highest timestamp by 3 (delay 2):
	//   a@1  -> [0,10) [-5,5);   wm -2
	//   a@6  -> [5,15) [0,10);   wm 3
	//   a@4  -> [0,10) [-5,5);   out of order, on time (4 > 3)
	//   b@8  -> [5,15) [0,10);   wm 5: fires [-5,5): a {1,4} = 2
	//   a@13 -> [10,20) [5,15);  wm 10: fires [0,10): a {1,6,4} = 3, b {8} = 1
	//   a@9  -> [5,15) only: [0,10) is cleaned (9 <= 10). Not late, since
	//          one of its windows is still open: no side output.
	//   b@21 -> [20,30) [15,25); wm 18: fires [5,15): a {6,13,9} = 3, b {8} = 1
	// End: [10,20): a {13}; [15,25): b {21}; [20,30): b {21}.
	events := []event{{"a", 1, 1}, {"a", 6, 1}, {"a", 4, 1}, {"b", 8, 1}, {"a", 13, 1}, {"a", 9, 1}, {"b", 21, 1}}
	got, late, log := winGoldenRun(t, events, 2, func(ks weir.KeyedStream[string, event]) (weir.DataStream[string], weir.DataStream[string]) {
		ws := weir.Window(ks, weir.SlidingEventTimeWindows(10*time.Millisecond, 5*time.Millisecond)).SideOutputLateData(winLateEvents)
		out := weir.AggregateProcessWindow(ws, winCountAgg{}, winFormatCount)
		return out, winLateStrings(out, winLateEvents)
	})
	winCheckLines(t, "windows", got, []string{
		"a [-5,5) 2@4", "a [0,10) 3@9", "b [0,10) 1@9", "a [5,15) 3@14", "b [5,15) 1@14",
		"a [10,20) 1@19", "b [15,25) 1@24", "b [20,30) 1@29"})
	winCheckLines(t, "late", late, nil)
	if strings.Contains(log, "numLateRecordsDropped") {
		t.Fatalf("records dropped:\n%s", log)
	}
}

func TestSessionWindowsMergeGolden(t *testing.T) {
	defer goleak.VerifyNone(t)
	// Sessions with a gap of 5 ms: a record at t opens [t,t+5), and
	// windows of a key that overlap or touch merge. The watermark trails
	// the highest timestamp by 11 (delay 10), so out-of-order records can
	// bridge sessions:
	//   a@1  -> [1,6)                                   wm -10
	//   a@12 -> [12,17); a's sessions [1,6) [12,17)    wm 1
	//   a@8  -> [8,13) overlaps [12,17): [8,17), list 12,8
	//   a@4  -> [4,9) overlaps [1,6) and [8,17): all merge into [1,17);
	//           lists in window order then the new record: 1,12,8,4
	//   b@5  -> [5,10)
	//   b@10 -> [10,15) touches [5,10) (Flink merges touching windows): [5,15)
	//   a@30 -> [30,35)                                 wm 19: fires
	//           a [1,17) (MaxTimestamp 16) and b [5,15) (14), and cleans them
	//   a@20 -> [20,25): on time (24 > 19); [30,35) is apart
	//   a@3  -> [3,8): cleaned long ago (7 <= 19) and merges with nothing:
	//           late, to the side output
	// End: a [20,25) and a [30,35).
	events := []event{{"a", 1, 1}, {"a", 12, 1}, {"a", 8, 1}, {"a", 4, 1}, {"b", 5, 1}, {"b", 10, 1}, {"a", 30, 1}, {"a", 20, 1}, {"a", 3, 1}}
	got, late, _ := winGoldenRun(t, events, 10, func(ks weir.KeyedStream[string, event]) (weir.DataStream[string], weir.DataStream[string]) {
		ws := weir.Window(ks, weir.EventTimeSessionWindows(5*time.Millisecond)).SideOutputLateData(winLateEvents)
		lists := weir.ProcessWindow(ws, func(ctx weir.WindowContext[string], es []event, out weir.Collector[string]) error {
			var ts []string
			for _, e := range es {
				ts = append(ts, fmt.Sprint(e.TS))
			}
			out.Collect(fmt.Sprintf("%s %v list %s", ctx.Key, ctx.Window, strings.Join(ts, ",")))
			return nil
		})
		counts := weir.AggregateProcessWindow(ws, winCountAgg{}, winFormatCount)
		return weir.Union(lists, counts), winLateStrings(counts, winLateEvents)
	})
	winCheckLines(t, "sessions", got, []string{
		"a [1,17) list 1,12,8,4@16", "a [1,17) 4@16",
		"b [5,15) list 5,10@14", "b [5,15) 2@14",
		"a [20,25) list 20@24", "a [20,25) 1@24",
		"a [30,35) list 30@34", "a [30,35) 1@34"})
	winCheckLines(t, "late", late, []string{"a@3@3"})
}

func TestGlobalWindowCountTriggerGolden(t *testing.T) {
	defer goleak.VerifyNone(t)
	// Count windows of 3 per key, sums of N. a gets N = 1..7, b gets 10, 20:
	//   CountWindow (purging): a fires after 1+2+3 = 6 and 4+5+6 = 15; a's
	//   7 and b's two records never make a full window.
	//   Global window with a non-purging CountTrigger(3): a fires at the
	//   3rd record with 6 and at the 6th with 1+...+6 = 21.
	// Results carry the global window's MaxTimestamp, MaxInt64.
	var events []event
	for i := int64(1); i <= 7; i++ {
		events = append(events, event{"a", i, i})
		if i == 2 || i == 5 {
			events = append(events, event{"b", i, i * 10 / 2})
		}
	}
	sum := func(x, y event) (event, error) { x.N += y.N; return x, nil }
	format := func(prefix string) weir.ProcessWindowFunc[string, event, string] {
		return func(ctx weir.WindowContext[string], v []event, out weir.Collector[string]) error {
			out.Collect(fmt.Sprintf("%s %s %d", prefix, ctx.Key, v[0].N))
			return nil
		}
	}
	got, _, _ := winGoldenRun(t, events, 0, func(ks weir.KeyedStream[string, event]) (weir.DataStream[string], weir.DataStream[string]) {
		purging := weir.ReduceProcessWindow(weir.CountWindow(ks, 3), sum, format("purging"))
		accumulating := weir.ReduceProcessWindow(weir.Window(ks, weir.GlobalWindows()).Trigger(weir.CountTrigger(3)), sum, format("accumulating"))
		return weir.Union(purging, accumulating), weir.DataStream[string]{}
	})
	max := fmt.Sprint(int64(math.MaxInt64))
	winCheckLines(t, "count windows", got, []string{
		"purging a 6@" + max, "purging a 15@" + max, "accumulating a 6@" + max, "accumulating a 21@" + max})
}

func TestAllowedLatenessGolden(t *testing.T) {
	defer goleak.VerifyNone(t)
	// Windows of 10 ms, allowed lateness 5 ms: [0,10) keeps its state until
	// the watermark reaches 9+5 = 14. The watermark trails the highest
	// timestamp by 1:
	//   a@2  wm 1
	//   a@11 wm 10: fires [0,10): a {2} = 1
	//   a@5  [0,10) ended (9 <= 10) but is kept: added, fires again at
	//        once (a late firing) with 2
	//   a@14 wm 13
	//   a@7  still within the lateness (14 > 13): late firing with 3
	//   a@16 wm 15: the cleanup timer at 14 clears [0,10)
	//   a@8  [0,10) is gone and 8+5 = 13 <= 15: late beyond the allowed
	//        lateness, to the side output (or dropped and counted)
	//   a@20 wm 19: fires [10,20): a {11,14,16} = 3
	// End: [20,30): a {20} = 1.
	// Late firings carry the window's MaxTimestamp too.
	events := []event{{"a", 2, 1}, {"a", 11, 1}, {"a", 5, 1}, {"a", 14, 1}, {"a", 7, 1}, {"a", 16, 1}, {"a", 8, 1}, {"a", 20, 1}}
	want := []string{"a [0,10) 1@9", "a [0,10) 2@9", "a [0,10) 3@9", "a [10,20) 3@19", "a [20,30) 1@29"}
	t.Run("side-output", func(t *testing.T) {
		got, late, log := winGoldenRun(t, events, 0, func(ks weir.KeyedStream[string, event]) (weir.DataStream[string], weir.DataStream[string]) {
			ws := weir.Window(ks, weir.TumblingEventTimeWindows(10*time.Millisecond)).AllowedLateness(5 * time.Millisecond).SideOutputLateData(winLateEvents)
			out := weir.AggregateProcessWindow(ws, winCountAgg{}, winFormatCount)
			return out, winLateStrings(out, winLateEvents)
		})
		winCheckLines(t, "windows", got, want)
		winCheckLines(t, "late", late, []string{"a@8@8"})
		if strings.Contains(log, "numLateRecordsDropped") {
			t.Fatalf("records dropped although the side output takes them:\n%s", log)
		}
	})
	t.Run("dropped-and-counted", func(t *testing.T) {
		got, _, log := winGoldenRun(t, events, 0, func(ks weir.KeyedStream[string, event]) (weir.DataStream[string], weir.DataStream[string]) {
			ws := weir.Window(ks, weir.TumblingEventTimeWindows(10*time.Millisecond)).AllowedLateness(5 * time.Millisecond)
			return weir.AggregateProcessWindow(ws, winCountAgg{}, winFormatCount), weir.DataStream[string]{}
		})
		winCheckLines(t, "windows", got, want)
		if !strings.Contains(log, "numLateRecordsDropped=1") {
			t.Fatalf("the dropped late record is not reported:\n%s", log)
		}
	})
}

func TestReduceWindowAndDeclarationErrors(t *testing.T) {
	defer goleak.VerifyNone(t)
	// ReduceWindow keeps one record per window: the sum of N per key in
	// tumbling windows of 10 (a: 1+2 in [0,10), 4 in [10,20)).
	events := []event{{"a", 1, 1}, {"a", 3, 2}, {"b", 4, 5}, {"a", 12, 4}}
	got, _, _ := winGoldenRun(t, events, 0, func(ks weir.KeyedStream[string, event]) (weir.DataStream[string], weir.DataStream[string]) {
		sums := weir.ReduceWindow(weir.Window(ks, weir.TumblingEventTimeWindows(10*time.Millisecond)),
			func(x, y event) (event, error) { x.N += y.N; return x, nil })
		return weir.Map(sums, func(e event) (string, error) { return fmt.Sprintf("%s %d", e.Key, e.N), nil }), weir.DataStream[string]{}
	})
	winCheckLines(t, "sums", got, []string{"a 3@9", "b 5@9", "a 4@19"})

	for _, c := range []struct {
		name, want string
		declare    func(ks weir.KeyedStream[string, event])
	}{
		{"global without trigger", "GlobalWindows never fire by themselves", func(ks weir.KeyedStream[string, event]) {
			weir.AggregateWindow(weir.Window(ks, weir.GlobalWindows()), winCountAgg{}).SinkTo(&gather[int64]{}, "Out")
		}},
		{"session without merge", "must implement weir.AccumulatorMerger", func(ks weir.KeyedStream[string, event]) {
			weir.AggregateWindow(weir.Window(ks, weir.EventTimeSessionWindows(time.Second)), winNoMerge{}).SinkTo(&gather[int64]{}, "Out")
		}},
		{"offset too large", "offset 10s must be smaller", func(ks weir.KeyedStream[string, event]) {
			weir.AggregateWindow(weir.Window(ks, weir.TumblingEventTimeWindows(time.Second).WithOffset(10*time.Second)), winCountAgg{}).SinkTo(&gather[int64]{}, "Out")
		}},
		{"zero size", "size must be at least 1ms", func(ks weir.KeyedStream[string, event]) {
			weir.AggregateWindow(weir.Window(ks, weir.TumblingProcessingTimeWindows(0)), winCountAgg{}).SinkTo(&gather[int64]{}, "Out")
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := env(t)
			c.declare(weir.KeyBy(weir.FromSource(e, sliceSource[event]{}, "Events"), func(e event) string { return e.Key }))
			if _, _, err := e.Plan(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

type winNoMerge struct{}

func (winNoMerge) CreateAccumulator() int64              { return 0 }
func (winNoMerge) Add(_ event, acc int64) (int64, error) { return acc + 1, nil }
func (winNoMerge) Result(acc int64) (int64, error)       { return acc, nil }
