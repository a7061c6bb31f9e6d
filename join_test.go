package weir_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/connector/collect"
)

// joinRec is a record of one side of a join: Left or not.
type joinRec struct {
	Left      bool
	Key, Name string
	TS        int64
}

// joinGoldenRun sends recs, in order, from one source subtask with
// watermarks trailing the highest timestamp by delay+1 (see
// winPunctuated), splits them into the left and right keyed streams, and
// returns the sorted, stamped records of the main and side outputs declare
// returns. Both inputs of the join read channels fed by the same
// assigner; the records are within delay of the highest timestamp, so none
// is late whatever the interleaving, and the results are exact.
func joinGoldenRun(t *testing.T, recs []joinRec, delay int64,
	declare func(l, r weir.KeyedStream[string, joinRec]) (main, side weir.DataStream[string])) (got, side []string) {
	t.Helper()
	e := env(t, "parallelism.default=2", "pipeline.auto-watermark-interval=0")
	src := weir.FromSource(e, sliceSource[joinRec]{recs}, "Records").SetParallelism(1)
	ts := weir.AssignTimestampsAndWatermarks(src, weir.ForGenerator(func(r joinRec) int64 { return r.TS },
		func() weir.WatermarkGenerator { return &winPunctuated{delay: delay} })).SetParallelism(1)
	key := func(r joinRec) string { return r.Key }
	left := weir.KeyBy(weir.Filter(ts, func(r joinRec) (bool, error) { return r.Left, nil }).SetParallelism(1), key)
	right := weir.KeyBy(weir.Filter(ts, func(r joinRec) (bool, error) { return !r.Left, nil }).SetParallelism(1), key)
	main, sideOut := declare(left, right)
	sink, sideSink := collect.New[string](), collect.New[string]()
	winStamped(main).SinkTo(sink, "Collect").SetParallelism(1)
	if sideOut.Env() != nil {
		winStamped(sideOut).SinkTo(sideSink, "Side").SetParallelism(1)
	}
	if err := e.Execute(context.Background(), t.Name()); err != nil {
		t.Fatal(err)
	}
	got, side = sink.Records(), sideSink.Records()
	slices.Sort(got)
	slices.Sort(side)
	return got, side
}

func joinL(key, name string, ts int64) joinRec { return joinRec{true, key, name, ts} }
func joinR(key, name string, ts int64) joinRec { return joinRec{false, key, name, ts} }

func joinPair(a, b joinRec) (string, error) { return a.Name + "+" + b.Name, nil }

func TestWindowJoinGolden(t *testing.T) {
	defer goleak.VerifyNone(t)
	t.Run("tumbling", func(t *testing.T) {
		// Windows of 10, records at most 5 behind the highest timestamp.
		// [0,10): k1 left a1@1 a2@4, right b1@2 b3@8 -> 4 pairs; k2 a3@6 x b2@9.
		// [10,20): k1 a4@12 x b4@18; k2 has only b5@15: an inner join
		// emits nothing. Pairs carry the window's MaxTimestamp.
		recs := []joinRec{joinL("k1", "a1", 1), joinR("k1", "b1", 2), joinL("k1", "a2", 4), joinL("k2", "a3", 6), joinR("k2", "b2", 9),
			joinR("k1", "b3", 8), joinL("k1", "a4", 12), joinR("k1", "b4", 18), joinR("k2", "b5", 15)}
		got, _ := joinGoldenRun(t, recs, 5, func(a, b weir.KeyedStream[string, joinRec]) (weir.DataStream[string], weir.DataStream[string]) {
			return weir.JoinWindow(a, b, weir.TumblingEventTimeWindows(10*time.Millisecond), joinPair), weir.DataStream[string]{}
		})
		winCheckLines(t, "pairs", got, []string{"a1+b1@9", "a1+b3@9", "a2+b1@9", "a2+b3@9", "a3+b2@9", "a4+b4@19"})
	})
	t.Run("sliding", func(t *testing.T) {
		// Windows of 10 every 5: x@3 in [-5,5) [0,10); w@9 and y@7 in
		// [0,10) [5,15); z@12 in [5,15) [10,20).
		// [0,10): left x w, right y -> x+y, w+y; [5,15): left w, right y z
		// -> w+y, w+z; [-5,5) and [10,20) have one side only.
		recs := []joinRec{joinL("k", "x", 3), joinR("k", "y", 7), joinL("k", "w", 9), joinR("k", "z", 12)}
		got, _ := joinGoldenRun(t, recs, 0, func(a, b weir.KeyedStream[string, joinRec]) (weir.DataStream[string], weir.DataStream[string]) {
			return weir.JoinWindow(a, b, weir.SlidingEventTimeWindows(10*time.Millisecond, 5*time.Millisecond), joinPair), weir.DataStream[string]{}
		})
		winCheckLines(t, "pairs", got, []string{"x+y@9", "w+y@9", "w+y@14", "w+z@14"})
	})
}

func TestIntervalJoinGolden(t *testing.T) {
	defer goleak.VerifyNone(t)
	// b joins a when b.ts is in [a.ts-2, a.ts+3]; each joinPair carries the
	// larger timestamp. Records at most 5 behind the highest timestamp:
	//   a1@10
	//   b1@8   8 in [8,13]                      -> a1+b1@10
	//   b2@14  not in [8,13]
	//   a2@12  [10,15] holds b2                 -> a2+b2@14
	//   b3@11  a's with 11 in [a-2,a+3]: a1, a2 -> a1+b3@11, a2+b3@12
	//   a3@20  [18,23]: nothing yet
	//   b4@22  a's in [19,24]: a3              -> a3+b4@22
	//   c1@15 (key k2), d1@19 (k2): 19 not in [13,18] -> nothing
	recs := []joinRec{joinL("k", "a1", 10), joinR("k", "b1", 8), joinR("k", "b2", 14), joinL("k", "a2", 12), joinR("k", "b3", 11),
		joinL("k2", "c1", 15), joinR("k2", "d1", 19), joinL("k", "a3", 20), joinR("k", "b4", 22)}
	got, _ := joinGoldenRun(t, recs, 5, func(a, b weir.KeyedStream[string, joinRec]) (weir.DataStream[string], weir.DataStream[string]) {
		return weir.IntervalJoin(a, b, -2*time.Millisecond, 3*time.Millisecond, joinPair), weir.DataStream[string]{}
	})
	winCheckLines(t, "pairs", got, []string{"a1+b1@10", "a2+b2@14", "a1+b3@11", "a2+b3@12", "a3+b4@22"})
}

// joinPayMatcher is an unbounded join with a co-process function: an order
// (left) and a payment (right) of the same key match when their
// timestamps are at most 10 apart. What is left unmatched is reported to
// the side output by an event-time timer 10 ms after it. Because the
// function checks the distance itself, the result does not depend on when
// the watermark fires the timers.
type joinPayMatcher struct {
	order, payment weir.ValueState[joinRec]
}

var joinUnmatchedTag = weir.NewOutputTag[string]("unmatched")

func (m *joinPayMatcher) Open(ctx *weir.OpenContext[string]) (err error) {
	if m.order, err = weir.NewValueState[joinRec](ctx, "order"); err != nil {
		return err
	}
	m.payment, err = weir.NewValueState[joinRec](ctx, "payment")
	return err
}

func (m *joinPayMatcher) process(ctx *weir.Context[string], mine, other weir.ValueState[joinRec], v joinRec, out weir.Collector[string]) error {
	if o, ok, _ := other.Value(); ok && max(o.TS-v.TS, v.TS-o.TS) <= 10 {
		out.Collect(fmt.Sprintf("%s matches %s", v.Name, o.Name))
		return other.Clear()
	}
	if err := mine.Update(v); err != nil {
		return err
	}
	return ctx.TimerService().RegisterEventTimeTimer(v.TS + 10)
}

func (m *joinPayMatcher) ProcessElement1(ctx *weir.Context[string], v joinRec, out weir.Collector[string]) error {
	return m.process(ctx, m.order, m.payment, v, out)
}

func (m *joinPayMatcher) ProcessElement2(ctx *weir.Context[string], v joinRec, out weir.Collector[string]) error {
	return m.process(ctx, m.payment, m.order, v, out)
}

func (m *joinPayMatcher) OnTimer(ctx *weir.Context[string], ts int64, _ weir.Collector[string]) error {
	for _, s := range []weir.ValueState[joinRec]{m.order, m.payment} {
		if v, ok, _ := s.Value(); ok && v.TS+10 == ts {
			if err := weir.EmitTo(ctx, joinUnmatchedTag, "unmatched "+v.Name); err != nil {
				return err
			}
			if err := s.Clear(); err != nil {
				return err
			}
		}
	}
	return nil
}

func TestCoProcessGolden(t *testing.T) {
	defer goleak.VerifyNone(t)
	// k1: o1@1, p1@5 -> "p1 matches o1" at 5.
	// k2: o2@3, p2@30 -> too far apart: o2 unmatched at 13, p2 at 40.
	// k3: o3@12, then p3@8 (out of order) -> "p3 matches o3" at 8.
	// k4: o4@20 alone -> unmatched at 30, when the input ends.
	recs := []joinRec{joinL("k1", "o1", 1), joinL("k2", "o2", 3), joinR("k1", "p1", 5), joinL("k3", "o3", 12), joinR("k3", "p3", 8),
		joinL("k4", "o4", 20), joinR("k2", "p2", 30)}
	got, side := joinGoldenRun(t, recs, 5, func(a, b weir.KeyedStream[string, joinRec]) (weir.DataStream[string], weir.DataStream[string]) {
		m := weir.CoProcess(a, b, func() weir.KeyedCoProcessFunction[string, joinRec, joinRec, string] { return &joinPayMatcher{} })
		return m, weir.SideOutput(m, joinUnmatchedTag)
	})
	winCheckLines(t, "matches", got, []string{"p1 matches o1@5", "p3 matches o3@8"})
	winCheckLines(t, "unmatched", side, []string{"unmatched o2@13", "unmatched p2@40", "unmatched o4@30"})
}
