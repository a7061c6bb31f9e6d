package weir_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/connector/discard"
)

// The window benchmarks count events per key in event-time windows, in a
// job and in a plain Go loop over the same events. Events: 2^20, one per
// millisecond of event time, up to 10 ms out of order, over 100 keys;
// windows of 1 s (tumbling) or 1 s every 250 ms (sliding); watermarks
// every 10 ms (a bound of 10 ms: nothing is late), so windows fire as the
// job goes rather than all at the end.
const (
	winBenchEvents = 1 << 20
	winBenchKeys   = 100
	winBenchSize   = 1000
)

var winBenchKeyNames = func() []string {
	ks := make([]string, winBenchKeys)
	for i := range ks {
		ks[i] = fmt.Sprintf("key-%03d", i)
	}
	return ks
}()

func winBenchEvent(i int64, rnd uint64) event {
	return event{Key: winBenchKeyNames[rnd%winBenchKeys], TS: i + int64(rnd>>32%11), N: 1}
}

func winBenchJob(b *testing.B, assigner weir.WindowAssigner, wantWindows int64) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		e := env(&testing.T{}, "parallelism.default=1", "pipeline.auto-watermark-interval=10ms")
		e.SetLogger(slog.New(slog.DiscardHandler))
		src := weir.FromSource(e, datagen.New(winBenchEvents, 1, winBenchEvent), "Events")
		ts := weir.AssignTimestampsAndWatermarks(src, weir.ForBoundedOutOfOrderness(10*time.Millisecond, func(e event) int64 { return e.TS }))
		counts := weir.AggregateProcessWindow(weir.Window(weir.KeyBy(ts, func(e event) string { return e.Key }), assigner), winCountAgg{},
			func(ctx weir.WindowContext[string], n []int64, out weir.Collector[winBenchResult]) error {
				out.Collect(winBenchResult{Key: ctx.Key, Start: ctx.Window.Start, Count: n[0]})
				return nil
			})
		sink := discard.New[winBenchResult]()
		counts.SinkTo(sink, "Discard")
		if err := e.Execute(context.Background(), "bench"); err != nil {
			b.Fatal(err)
		}
		if got := sink.Count(); got != wantWindows {
			b.Fatalf("%d window results, the plain loop has %d", got, wantWindows)
		}
	}
	b.ReportMetric(float64(winBenchEvents)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

type winBenchResult struct {
	Key   string
	Start int64
	Count int64
}

type winBenchWindow struct {
	key   string
	start int64
}

// winBenchLoop computes the same counts in a plain loop: generate each
// event as the source does, add it to its windows in a map, and emit every
// window's result at the end.
func winBenchLoop(size, slide int64) (windows int64) {
	counts := map[winBenchWindow]int64{}
	for i := int64(0); i < winBenchEvents; i++ {
		e := winBenchEvent(i, datagen.Mix(1, i))
		for s := e.TS - e.TS%slide; s > e.TS-size; s -= slide {
			counts[winBenchWindow{e.Key, s}] += e.N
		}
	}
	var sink []winBenchResult
	for w, n := range counts {
		sink = append(sink[:0], winBenchResult{Key: w.key, Start: w.start, Count: n})
		windows++
	}
	return windows
}

func winBenchLoopRun(b *testing.B, size, slide int64) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		winBenchLoop(size, slide)
	}
	b.ReportMetric(float64(winBenchEvents)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkWindowTumbling(b *testing.B) {
	winBenchJob(b, weir.TumblingEventTimeWindows(winBenchSize*time.Millisecond), winBenchLoop(winBenchSize, winBenchSize))
}

func BenchmarkWindowTumblingPlainLoop(b *testing.B) { winBenchLoopRun(b, winBenchSize, winBenchSize) }

func BenchmarkWindowSliding(b *testing.B) {
	winBenchJob(b, weir.SlidingEventTimeWindows(winBenchSize*time.Millisecond, winBenchSize/4*time.Millisecond), winBenchLoop(winBenchSize, winBenchSize/4))
}

func BenchmarkWindowSlidingPlainLoop(b *testing.B) { winBenchLoopRun(b, winBenchSize, winBenchSize/4) }
