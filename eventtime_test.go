package weir_test

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/connector/collect"
	"github.com/weirstream/weir/internal/testutil"
)

// event is a keyed record with an event time.
type event struct {
	Key string
	TS  int64
	N   int64
}

var lateTag = weir.NewOutputTag[string]("late")

// tumblingCount counts events per key in event-time windows of size ms
// with timers: a minimal window written with the process API, used to pin
// watermark and timer semantics.
type tumblingCount struct {
	size  int64
	count weir.MapState[int64, int64] // window end → count
}

func (f *tumblingCount) Open(ctx *weir.OpenContext[string]) (err error) {
	f.count, err = weir.NewMapState[int64, int64](ctx, "count")
	return err
}

func (f *tumblingCount) ProcessElement(ctx *weir.Context[string], e event, out weir.Collector[string]) error {
	ts, _ := ctx.Timestamp()
	end := ts - ts%f.size + f.size
	if end-1 <= ctx.TimerService().CurrentWatermark() {
		return weir.EmitTo(ctx, lateTag, fmt.Sprintf("late %s@%d", e.Key, ts))
	}
	n, _, _ := f.count.Get(end)
	f.count.Put(end, n+e.N)
	return ctx.TimerService().RegisterEventTimeTimer(end - 1)
}

func (f *tumblingCount) OnTimer(ctx *weir.Context[string], ts int64, out weir.Collector[string]) error {
	end := ts + 1
	n, _, _ := f.count.Get(end)
	f.count.Remove(end)
	if ctx.TimeDomain() != weir.EventTime {
		return fmt.Errorf("timer in %v", ctx.TimeDomain())
	}
	out.Collect(fmt.Sprintf("%s [%d,%d) %d", ctx.CurrentKey(), end-f.size, end, n))
	return nil
}

// pacedSource emits its events in order, then waits for release before
// the next batch, so tests decide which watermark a record meets.
type pacedSource struct {
	batches [][]event
	next    chan struct{}
}

func (s *pacedSource) CreateReader(weir.SourceContext) (weir.SourceReader[event], error) {
	return &pacedReader{s: s}, nil
}

type pacedReader struct {
	s *pacedSource
	i int
}

func (r *pacedReader) Fetch(ctx context.Context, buf []event) ([]event, [][]byte, error) {
	if r.i > 0 {
		select {
		case <-r.s.next:
		case <-ctx.Done():
			return buf, nil, ctx.Err()
		}
	}
	buf = append(buf, r.s.batches[r.i]...)
	r.i++
	if r.i == len(r.s.batches) {
		return buf, nil, io.EOF
	}
	return buf, nil, nil
}
func (r *pacedReader) Close() error { return nil }

func TestEventTimeTimersAndWatermarks(t *testing.T) {
	defer goleak.VerifyNone(t)
	// Out of order within 5 ms; window size 10 ms.
	src := &pacedSource{next: make(chan struct{}), batches: [][]event{
		{{"a", 1, 1}, {"b", 3, 1}, {"a", 8, 1}, {"a", 4, 1}, {"b", 12, 1}},
		{{"a", 15, 1}, {"a", 9, 1}, {"b", 26, 1}}, // a@9 is within bound of max 15-5... but window [0,10) fired? see below
		{{"a", 2, 1}, {"a", 31, 1}},
	}}
	const interval = 5 * time.Millisecond
	e := env(t, "parallelism.default=2", fmt.Sprint("pipeline.auto-watermark-interval=", interval))
	clock := manualClock(e)
	s := weir.FromSource(e, src, "Events").SetParallelism(1)
	// One assigner, chained to the source: with a rebalance in between, each
	// assigner subtask would see only some timestamps, and the minimum of
	// their watermarks would hold event time back (correctly).
	ts := weir.AssignTimestampsAndWatermarks(s, weir.ForBoundedOutOfOrderness(5*time.Millisecond, func(e event) int64 { return e.TS })).SetParallelism(1)
	counts := weir.Process(weir.KeyBy(ts, func(e event) string { return e.Key }), func() weir.KeyedProcessFunction[string, event, string] {
		return &tumblingCount{size: 10}
	})
	sink, late := collect.New[string](), collect.New[string]()
	counts.SinkTo(sink, "Collect").SetParallelism(1)
	weir.SideOutput(counts, lateTag).SinkTo(late, "Late").SetParallelism(1)
	job, err := e.Build(context.Background(), "event-time")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- job.Run() }()
	// After batch 1 (max ts 12) the watermark reaches 12-5-1 = 6: no window
	// ends by then. Batch 2 (max 26) moves it to 20 at the next periodic
	// emit, after a@9 is in: [0,10) fires for a (4) and b (1), [10,20) for a
	// and b. Batch 3's a@2 is then late; the end of the input fires the rest.
	// Processing time moves by hand (manualClock): each periodic emit comes
	// once a batch has reached the keyed operator.
	awaitIn := func(n int64) {
		t.Helper()
		testutil.Await(t, 10*time.Second, func() bool { return job.Records()["Process -> SideOutput: late"] >= n && clock.Pending() == 1 },
			func() string { return fmt.Sprintf("%d records sent: %v", n, job.Records()) })
	}
	awaitRecords := func(n int) {
		testutil.Await(t, 10*time.Second, func() bool { return len(sink.Records()) >= n },
			func() string { return fmt.Sprintf("%d records: %q", len(sink.Records()), sink.Records()) })
	}
	awaitIn(5)
	tick(t, clock, interval, 1)
	if got := sink.Records(); len(got) != 0 {
		t.Errorf("windows fired at watermark 6: %q", got)
	}
	src.next <- struct{}{}
	awaitIn(8)
	tick(t, clock, interval, 1)
	awaitRecords(4)
	src.next <- struct{}{}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := sink.Records()
	sort.Strings(got)
	want := []string{
		"a [0,10) 4", "a [10,20) 1", "a [30,40) 1",
		"b [0,10) 1", "b [10,20) 1", "b [20,30) 1",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got\n %q\nwant\n %q", got, want)
	}
	if got := late.Records(); len(got) != 1 || got[0] != "late a@2" {
		t.Fatalf("late side output %q, want [late a@2]", got)
	}
}
