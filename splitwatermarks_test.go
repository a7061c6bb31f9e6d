package weir_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/connector/collect"
	"github.com/weirstream/weir/internal/testutil"
	"github.com/weirstream/weir/runtime"
)

// splitItem is a record and the split it came from, or, with end set, the
// end of that split.
type splitItem struct {
	split string
	ev    event
	end   bool
}

func rec(split, key string, ts int64) splitItem {
	return splitItem{split: split, ev: event{key, ts, 1}}
}
func endOf(split string) splitItem { return splitItem{split: split, end: true} }

// feedSource is a source of one subtask: each fetch returns the next batch
// received from feed, and the input ends when feed is closed. Its reader
// reports the splits (connector.SplitFetcher) unless plain is set.
type feedSource struct {
	feed  chan []splitItem
	plain bool
}

func (s *feedSource) CreateReader(ctx weir.SourceContext) (weir.SourceReader[event], error) {
	if ctx.Parallelism != 1 {
		return nil, errors.New("feedSource runs with parallelism 1 only")
	}
	r := &feedReader{feed: s.feed}
	if s.plain {
		return plainFeedReader{r}, nil
	}
	return r, nil
}

type feedReader struct{ feed <-chan []splitItem }

func (r *feedReader) FetchSplits(ctx context.Context, buf []event, splits *connector.SplitBatch) ([]event, [][]byte, error) {
	select {
	case items, ok := <-r.feed:
		if !ok {
			return buf, nil, io.EOF
		}
		for _, it := range items {
			if it.end {
				splits.Finished = append(splits.Finished, it.split)
				continue
			}
			buf = append(buf, it.ev)
			splits.Add(it.split)
		}
		return buf, nil, nil
	case <-ctx.Done():
		return buf, nil, ctx.Err()
	}
}

func (r *feedReader) Fetch(ctx context.Context, buf []event) ([]event, [][]byte, error) {
	var splits connector.SplitBatch
	return r.FetchSplits(ctx, buf, &splits)
}

func (r *feedReader) Close() error { return nil }

// plainFeedReader is a feedReader that does not tell the splits.
type plainFeedReader struct{ r *feedReader }

func (p plainFeedReader) Fetch(ctx context.Context, buf []event) ([]event, [][]byte, error) {
	return p.r.Fetch(ctx, buf)
}
func (p plainFeedReader) Close() error { return nil }

var (
	_ connector.SplitFetcher[event] = (*feedReader)(nil)
	_ weir.SourceReader[event]      = plainFeedReader{}
)

// punctuated has every record's split (or subtask) emit its highest
// timestamp minus 1 at once, so that with periodic emission off the
// watermark each record meets depends only on the input order.
var punctuated = weir.ForGenerator(func(e event) int64 { return e.TS },
	func() weir.WatermarkGenerator { return &winPunctuated{} })

// TestPerSplitWatermarksGolden: one source subtask reads two splits whose
// records are each in timestamp order, but interleaved so that split a runs
// ahead of split b. One generator for the subtask takes a's timestamps as
// event time and drops b's records as late; one generator per split, merged
// as their minimum, keeps every record.
func TestPerSplitWatermarksGolden(t *testing.T) {
	defer goleak.VerifyNone(t)
	batches := [][]splitItem{
		{rec("a", "x", 1), rec("b", "x", 2)},
		{rec("a", "x", 12), rec("a", "y", 15), rec("b", "x", 5), rec("b", "y", 8)},
		{rec("a", "x", 25), rec("b", "x", 11), rec("b", "y", 14)},
	}
	// One generator for the subtask (watermark = highest timestamp - 1):
	//   a x@1   wm 0
	//   b x@2   wm 1
	//   a x@12  wm 11: fires [0,10): x {1,2} = 2
	//   a y@15  wm 14
	//   b x@5   late: [0,10) ended at 9 <= 14
	//   b y@8   late
	//   a x@25  wm 24: fires [10,20): x {12} = 1, y {15} = 1
	//   b x@11  late: [10,20) ended at 19 <= 24
	//   b y@14  late
	// The end fires [20,30): x {25} = 1.
	perSubtask := []string{"x [0,10) 2@9", "x [10,20) 1@19", "y [10,20) 1@19", "x [20,30) 1@29"}
	perSubtaskLate := []string{"x@5@5", "y@8@8", "x@11@11", "y@14@14"}
	// One generator per split (a's watermark, b's watermark → emitted minimum):
	//   a x@1   a 0          → 0 (b has not started: only a counts)
	//   b x@2   a 0,  b 1    → 0
	//   a x@12  a 11, b 1    → 1
	//   a y@15  a 14, b 1    → 1
	//   b x@5   a 14, b 4    → 4
	//   b y@8   a 14, b 7    → 7
	//   a x@25  a 24, b 7    → 7
	//   b x@11  a 24, b 10   → 10: fires [0,10): x {1,2,5} = 3, y {8} = 1
	//   b y@14  a 24, b 13   → 13
	// The end fires [10,20): x {12,11} = 2, y {15,14} = 2; [20,30): x {25} = 1.
	perSplit := []string{"x [0,10) 3@9", "y [0,10) 1@9", "x [10,20) 2@19", "y [10,20) 2@19", "x [20,30) 1@29"}

	cases := []struct {
		name     string
		interval string
		source   func(e *weir.Environment, feed chan []splitItem) weir.DataStream[event]
		want     []string
		late     []string
		// before: windows to await before the input ends (periodic
		// watermarks only come while it is open).
		before []string
	}{
		{"assigner after the source", "0", func(e *weir.Environment, feed chan []splitItem) weir.DataStream[event] {
			s := weir.FromSource(e, &feedSource{feed: feed}, "Events").SetParallelism(1)
			return weir.AssignTimestampsAndWatermarks(s, punctuated).SetParallelism(1)
		}, perSubtask, perSubtaskLate, nil},
		{"source without splits", "0", func(e *weir.Environment, feed chan []splitItem) weir.DataStream[event] {
			return weir.FromSourceWithWatermarks(e, &feedSource{feed: feed, plain: true}, "Events", punctuated).SetParallelism(1)
		}, perSubtask, perSubtaskLate, nil},
		{"source with splits", "0", func(e *weir.Environment, feed chan []splitItem) weir.DataStream[event] {
			return weir.FromSourceWithWatermarks(e, &feedSource{feed: feed}, "Events", punctuated).SetParallelism(1)
		}, perSplit, nil, nil},
		// Periodic watermarks come at any time between batches; with every
		// split in order and both started in the first batch, no record
		// can be late, so the result is the same whatever the timing. The
		// input stays open until b's watermark (13) has fired [0,10).
		{"source with splits, periodic", "1ms", func(e *weir.Environment, feed chan []splitItem) weir.DataStream[event] {
			return weir.FromSourceWithWatermarks(e, &feedSource{feed: feed}, "Events",
				weir.ForMonotonousTimestamps(func(e event) int64 { return e.TS })).SetParallelism(1)
		}, perSplit, nil, []string{"x [0,10) 3@9", "y [0,10) 1@9"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := env(t, "parallelism.default=2", "pipeline.auto-watermark-interval="+c.interval)
			feed := make(chan []splitItem, len(batches))
			for _, b := range batches {
				feed <- b
			}
			ks := weir.KeyBy(c.source(e, feed), func(e event) string { return e.Key })
			ws := weir.Window(ks, weir.TumblingEventTimeWindows(10*time.Millisecond)).SideOutputLateData(winLateEvents)
			out := weir.AggregateProcessWindow(ws, winCountAgg{}, winFormatCount)
			sink, lateSink := collect.New[string](), collect.New[string]()
			winStamped(out).SinkTo(sink, "Collect").SetParallelism(1)
			winStamped(winLateStrings(out, winLateEvents)).SinkTo(lateSink, "Late").SetParallelism(1)
			job, err := e.Build(context.Background(), t.Name())
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- job.Run() }()
			awaitLines(t, sink, done, c.before)
			close(feed)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			got, late := sink.Records(), lateSink.Records()
			slices.Sort(got)
			slices.Sort(late)
			winCheckLines(t, "windows", got, c.want)
			winCheckLines(t, "late", late, c.late)
		})
	}
}

// runFed starts a job reading feed through FromSourceWithWatermarks into
// tumbling windows of 10 ms that count records per key, and returns the
// sink, the job and a channel that receives the job's result.
func runFed(t *testing.T, e *weir.Environment, feed chan []splitItem, strategy weir.WatermarkStrategy[event]) (*collect.Sink[string], *runtime.Job, <-chan error) {
	t.Helper()
	s := weir.FromSourceWithWatermarks(e, &feedSource{feed: feed}, "Events", strategy).SetParallelism(1)
	out := weir.AggregateProcessWindow(weir.Window(weir.KeyBy(s, func(e event) string { return e.Key }),
		weir.TumblingEventTimeWindows(10*time.Millisecond)), winCountAgg{}, winFormatCount)
	sink := collect.New[string]()
	out.SinkTo(sink, "Collect").SetParallelism(1)
	job, err := e.Build(context.Background(), t.Name())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- job.Run() }()
	return sink, job, done
}

// awaitLines waits until sink holds every line of want, while the job,
// whose result done receives, is still running.
func awaitLines(t *testing.T, sink *collect.Sink[string], done <-chan error, want []string) {
	t.Helper()
	testutil.Await(t, 10*time.Second, func() bool {
		select {
		case err := <-done:
			t.Fatalf("job ended before its input did: %v", err)
		default:
		}
		return hasAll(sink.Records(), want)
	}, func() string {
		return fmt.Sprintf("windows before the end of the input: %q, want %q", sink.Records(), want)
	})
}

// hasAll reports whether got holds every line of want.
func hasAll(got, want []string) bool {
	for _, w := range want {
		if !slices.Contains(got, w) {
			return false
		}
	}
	return true
}

// TestFinishedSplitReleasesWatermark: split b, behind split a, finishes
// while the source stays open. From then on only a counts, and the windows
// a's watermark covers fire at once. Were b still counted, event time would
// stay at b's 2 and nothing would fire before the end of the input.
func TestFinishedSplitReleasesWatermark(t *testing.T) {
	defer goleak.VerifyNone(t)
	e := env(t, "parallelism.default=1", "pipeline.auto-watermark-interval=0")
	feed := make(chan []splitItem)
	sink, _, done := runFed(t, e, feed, punctuated)
	// a: 0, 11, 24; b: 1, 2, then finished (after the batch's records):
	// the watermark goes 1, 2, then 24, firing [0,10) and [10,20).
	feed <- []splitItem{rec("b", "x", 2), rec("a", "x", 1), rec("a", "x", 12), rec("b", "x", 3), endOf("b"), rec("a", "x", 25)}
	awaitLines(t, sink, done, []string{"x [0,10) 3", "x [10,20) 1"})
	close(feed)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := sink.Records()
	slices.Sort(got)
	winCheckLines(t, "windows", got, []string{"x [0,10) 3", "x [10,20) 1", "x [20,30) 1"})
}

// TestIdleSplitDoesNotHoldWatermark: split b sends one record and then
// nothing, without finishing, while split a keeps sending. With an idleness
// timeout, b goes idle and a's watermark alone fires the windows it covers
// while the source is still open. Were b active, event time would stay at
// b's 1. Processing time moves by hand (manualClock), one watermark
// interval at a time.
func TestIdleSplitDoesNotHoldWatermark(t *testing.T) {
	defer goleak.VerifyNone(t)
	const interval, idleness = 5 * time.Millisecond, 20 * time.Millisecond
	e := env(t, "parallelism.default=1", fmt.Sprint("pipeline.auto-watermark-interval=", interval))
	clock := manualClock(e)
	feed := make(chan []splitItem)
	strategy := weir.ForMonotonousTimestamps(func(e event) int64 { return e.TS }).WithIdleness(idleness)
	sink, job, done := runFed(t, e, feed, strategy)
	// send hands the source a batch and waits until its records reach the
	// window, so that the next tick counts them.
	sent := 0
	send := func(batch []splitItem) {
		t.Helper()
		select {
		case feed <- batch:
		case err := <-done:
			t.Fatalf("job ended before its input did: %v", err)
		}
		sent += len(batch)
		testutil.Await(t, 10*time.Second, func() bool { return windowRecords(job) >= int64(sent) && clock.Pending() == 1 },
			func() string { return fmt.Sprintf("%d records sent, the window has %v", sent, job.Records()) })
	}
	send([]splitItem{rec("b", "x", 2), rec("a", "x", 1), rec("a", "x", 12), rec("a", "x", 22)})
	// The first tick (at 5 ms) sees both splits' records; from then on a
	// sends a record at 25 (its watermark: 24) before every tick, so that
	// it stays active while b is quiet. Up to the tick before the one that
	// finds b quiet for the whole timeout (at 25 ms), event time stays at
	// b's 1 and nothing fires.
	ticks := 0
	tick(t, clock, interval, 1)
	for range idleness/interval - 1 {
		send([]splitItem{rec("a", "t", 25)})
		ticks++
		tick(t, clock, interval, 1)
	}
	if got := sink.Records(); len(got) != 0 {
		t.Errorf("windows fired before split b's idleness timeout: %q", got)
	}
	send([]splitItem{rec("a", "t", 25)})
	ticks++
	tick(t, clock, interval, 1)
	want := []string{"x [0,10) 2", "x [10,20) 1"}
	awaitLines(t, sink, done, want)
	close(feed)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := sink.Records()
	slices.Sort(got)
	winCheckLines(t, "windows", got, []string{"x [0,10) 2", "x [10,20) 1", "x [20,30) 1", fmt.Sprintf("t [20,30) %d", ticks)})
}

// windowRecords is the number of records the job's window vertices have
// taken in.
func windowRecords(job *runtime.Job) int64 {
	var n int64
	for name, r := range job.Records() {
		if strings.HasPrefix(name, "Window") {
			n += r
		}
	}
	return n
}
