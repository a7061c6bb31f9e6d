package weir_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/connector/collect"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/internal/testutil"
	"github.com/weirstream/weir/runtime"
)

// winEvents generates n events over keys, the i-th at 2i plus up to 15 ms
// of jitter: out of order by at most 15 ms within any subset of them.
func winEvents(n int64, seed uint64, keys uint64) *datagen.Source[event] {
	return datagen.New(n, seed, func(i int64, rnd uint64) event {
		return event{Key: fmt.Sprintf("k%d", rnd%keys), TS: 2*i + int64((rnd>>16)%16), N: 1}
	})
}

// winBrute counts, per key, the events in every window of length size
// starting at offset + k*slide that holds them, by testing every start
// near each event: no window assigner involved.
func winBrute(events []event, size, slide, offset int64) []string {
	counts := map[string]int64{}
	for _, e := range events {
		first := (e.TS-size-offset)/slide - 2
		for k := first; k*slide+offset <= e.TS; k++ {
			s := k*slide + offset
			if s <= e.TS && e.TS < s+size {
				counts[fmt.Sprintf("%s [%d,%d)", e.Key, s, s+size)]++
			}
		}
	}
	var out []string
	for k, n := range counts {
		out = append(out, fmt.Sprintf("%s %d", k, n))
	}
	slices.Sort(out)
	return out
}

func winReadAll[T any](t *testing.T, src weir.Source[T]) []T {
	t.Helper()
	r, err := src.CreateReader(weir.SourceContext{Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	var all []T
	for {
		recs, _, err := r.Fetch(context.Background(), make([]T, 0, 1024))
		all = append(all, recs...)
		if err != nil {
			return all
		}
	}
}

// TestWindowCountsEqualBruteForce: seeded random events with bounded
// out-of-orderness (no late data: the watermark strategy's bound covers
// the jitter) through tumbling and sliding count-per-key windows, at
// parallelism 2 with periodic watermarks every millisecond, equal a
// brute-force count over the same events.
func TestWindowCountsEqualBruteForce(t *testing.T) {
	defer goleak.VerifyNone(t)
	cases := []struct {
		name                string
		assigner            weir.WindowAssigner
		size, slide, offset int64
	}{
		{"tumbling", weir.TumblingEventTimeWindows(50 * time.Millisecond), 50, 50, 0},
		{"tumbling-offset", weir.TumblingEventTimeWindows(50 * time.Millisecond).WithOffset(7 * time.Millisecond), 50, 50, 7},
		{"sliding", weir.SlidingEventTimeWindows(50*time.Millisecond, 20*time.Millisecond), 50, 20, 0},
		{"sliding-even", weir.SlidingEventTimeWindows(60*time.Millisecond, 20*time.Millisecond), 60, 20, 0},
	}
	for _, seed := range []uint64{1, 2} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s-seed%d", c.name, seed), func(t *testing.T) {
				const n = 3000
				e := env(t, "parallelism.default=2", "pipeline.auto-watermark-interval=1ms")
				var logs testutil.LockedBuffer
				e.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
				// Throttled, so that many watermarks fire windows mid-stream.
				src := weir.FromSource(e, connector.RateLimit[event](winEvents(n, seed, 13), 30000), "Events")
				ts := weir.AssignTimestampsAndWatermarks(src, weir.ForBoundedOutOfOrderness(15*time.Millisecond, func(e event) int64 { return e.TS }))
				counts := weir.AggregateProcessWindow(weir.Window(weir.KeyBy(ts, func(e event) string { return e.Key }), c.assigner), winCountAgg{}, winFormatCount)
				sink := collect.New[string]()
				counts.SinkTo(sink, "Collect")
				if err := e.Execute(context.Background(), "property"); err != nil {
					t.Fatal(err)
				}
				got := sink.Records()
				slices.Sort(got)
				want := winBrute(winReadAll[event](t, winEvents(n, seed, 13)), c.size, c.slide, c.offset)
				if !slices.Equal(got, want) {
					t.Fatalf("%d windows, brute force %d; first difference at %s", len(got), len(want), winFirstDiff(got, want))
				}
				if strings.Contains(logs.String(), "numLateRecordsDropped") {
					t.Fatalf("late records where none can be:\n%s", logs.String())
				}
			})
		}
	}
}

// windowRecordsIn is what the job's union-and-window vertex has taken in.
func windowRecordsIn(job *runtime.Job) int64 {
	for name, n := range job.Records() {
		if strings.HasPrefix(name, "Union") {
			return n
		}
	}
	return 0
}

func winFirstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("%d: %q vs %q", i, a[i], b[i])
		}
	}
	return fmt.Sprint(min(len(a), len(b)))
}

// TestIdleSourceDoesNotHoldWindowsBack: two sources into a union and a
// window; one sends a record and then nothing. Marked idle by its
// watermark strategy, it stops holding event time back and the windows
// fire while both sources are still open. Without idleness, nothing fires
// until the end. Processing time moves by hand (manualClock), one
// watermark interval at a time.
func TestIdleSourceDoesNotHoldWindowsBack(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, idle := range []bool{true, false} {
		t.Run(fmt.Sprint("idleness=", idle), func(t *testing.T) {
			var active []event
			for ts := int64(0); ts <= 25; ts++ {
				active = append(active, event{"a", ts, 1})
			}
			busy := &pacedSource{next: make(chan struct{}), batches: [][]event{active, nil}}
			quiet := &pacedSource{next: make(chan struct{}), batches: [][]event{{{"b", 1, 1}}, nil}}
			const interval, idleness = 5 * time.Millisecond, 20 * time.Millisecond
			e := env(t, "parallelism.default=1", fmt.Sprint("pipeline.auto-watermark-interval=", interval))
			clock := manualClock(e)
			strategy := weir.ForBoundedOutOfOrderness(0, func(e event) int64 { return e.TS })
			quietStrategy := strategy
			if idle {
				quietStrategy = strategy.WithIdleness(idleness)
			}
			a := weir.AssignTimestampsAndWatermarks(weir.FromSource(e, busy, "Busy"), strategy)
			b := weir.AssignTimestampsAndWatermarks(weir.FromSource(e, quiet, "Quiet"), quietStrategy)
			counts := weir.AggregateProcessWindow(weir.Window(weir.KeyBy(weir.Union(a, b), func(e event) string { return e.Key }),
				weir.TumblingEventTimeWindows(10*time.Millisecond)), winCountAgg{}, winFormatCount)
			sink := collect.New[string]()
			counts.SinkTo(sink, "Collect")
			job, err := e.Build(context.Background(), "idle")
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- job.Run() }()
			// Every record reaches the window before processing time moves,
			// and each assigner keeps one periodic timer.
			testutil.Await(t, 10*time.Second, func() bool { return windowRecordsIn(job) >= int64(len(active)+1) && clock.Pending() == 2 },
				func() string { return fmt.Sprintf("records did not reach the window: %v", job.Records()) })
			// The first tick (at 5 ms) sees both sources' records: Busy's
			// watermark reaches 24, Quiet's 0, and Quiet counts as active
			// from then. Up to the tick before the one that finds it quiet
			// for the whole timeout (at 25 ms), nothing may fire.
			for range idleness / interval {
				tick(t, clock, interval, 2)
			}
			if got := sink.Records(); len(got) != 0 {
				t.Errorf("windows fired before the quiet source's idleness timeout: %q", got)
			}
			// Busy's watermark reaches 24: [0,10) and [10,20) are complete.
			want := []string{"a [0,10) 10", "a [10,20) 10", "b [0,10) 1"}
			if idle {
				tick(t, clock, interval, 2)
				testutil.Await(t, 10*time.Second, func() bool { return sink.Len() >= len(want) },
					func() string {
						return fmt.Sprintf("windows once the quiet source is idle: %q, want %q", sink.Records(), want)
					})
			} else {
				// Nothing must fire: absence cannot be awaited, so give
				// watermarks several times the other case's timeout to show
				// up, one tick at a time.
				for range 4 * idleness / interval {
					tick(t, clock, interval, 2)
				}
			}
			got := sink.Records()
			slices.Sort(got)
			busy.next <- struct{}{}
			quiet.next <- struct{}{}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if idle && !slices.Equal(got, want) {
				t.Fatalf("while the quiet source is idle: %q, want %q", got, want)
			}
			if !idle && len(got) != 0 {
				t.Fatalf("windows fired although the quiet source holds event time back: %q", got)
			}
			all := sink.Records()
			slices.Sort(all)
			if want := []string{"a [0,10) 10", "a [10,20) 10", "a [20,30) 6", "b [0,10) 1"}; !slices.Equal(all, want) {
				t.Fatalf("at the end: %q, want %q", all, want)
			}
		})
	}
}
