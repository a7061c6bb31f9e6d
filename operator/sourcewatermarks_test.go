package operator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/graph"
)

// maxGen is a monotonous generator: the highest timestamp seen minus 1,
// periodically, and at once with every record when punctuated.
type maxGen struct {
	max       int64
	punctuate bool
}

func newMaxGen(punctuate bool) func() WatermarkGenerator {
	return func() WatermarkGenerator {
		return &maxGen{max: MinWatermark + 1, punctuate: punctuate}
	}
}

func (g *maxGen) OnEvent(ts int64) (int64, bool) {
	g.max = max(g.max, ts)
	return g.max - 1, g.punctuate
}

func (g *maxGen) OnPeriodicEmit() (int64, bool) { return g.max - 1, true }

// wmLog records what a splitWatermarks emits: "5" for a watermark, "idle"
// for an idleness mark, "max" for the end of event time.
type wmLog struct{ got []string }

func (l *wmLog) emit(wm Watermark) error {
	switch {
	case wm.Idle:
		l.got = append(l.got, "idle")
	case wm.Time == MaxWatermark:
		l.got = append(l.got, "max")
	default:
		l.got = append(l.got, fmt.Sprint(wm.Time))
	}
	return nil
}

// take returns what was emitted since the last call.
func (l *wmLog) take() string {
	s := strings.Join(l.got, " ")
	l.got = nil
	return s
}

func TestSplitWatermarksMinimum(t *testing.T) {
	var log wmLog
	t0 := time.Unix(0, 0)
	m := newSplitWatermarks(newMaxGen(false), 0, t0, log.emit)
	step := func(what, want string, f func()) {
		t.Helper()
		f()
		if got := log.take(); got != want {
			t.Fatalf("%s: emitted %q, want %q", what, got, want)
		}
	}
	// Nothing is live yet: no watermark, and (without idleness) no idleness.
	step("no split", "", func() { m.periodic(t0) })
	a, b := m.split("a"), m.split("b")
	step("records", "", func() { m.event(a, 10); m.event(b, 5) })
	step("first periodic", "4", func() { m.periodic(t0) })
	// a moves on; b, the minimum, holds the watermark.
	step("a ahead", "", func() { m.event(a, 20); m.periodic(t0) })
	step("b moves", "7", func() { m.event(b, 8); m.periodic(t0) })
	// Out of order within b: its watermark stays.
	step("b out of order", "", func() { m.event(b, 3); m.periodic(t0) })
	// b finishes: only a counts, at once.
	step("b finishes", "19", func() {
		if m.split("b") != b {
			t.Fatal("split b looked up anew")
		}
		m.finish("b")
	})
	step("unknown split finishes", "", func() { m.finish("nope"); m.periodic(t0) })
	// A new split joins behind: the watermark does not go back, and it
	// holds until the new split catches up.
	c := m.split("c")
	step("c joins behind", "", func() { m.event(c, 1); m.periodic(t0) })
	step("c past a", "", func() { m.event(c, 30); m.periodic(t0) })
	step("a moves", "29", func() { m.event(a, 40); m.periodic(t0) })
	// A finished split's ID that comes back is a new split, with a fresh
	// generator: it starts from nothing.
	b2 := m.split("b")
	if b2 == b {
		t.Fatal("finished split b came back with its old state")
	}
	step("b again", "", func() { m.event(b2, 2); m.periodic(t0) })
	step("end", "max", func() {
		if err := m.end(); err != nil {
			t.Fatal(err)
		}
	})
	step("after the end", "", func() { m.event(a, 100); m.periodic(t0); m.finish("b"); m.finish("c"); m.end() })
}

func TestSplitWatermarksPunctuated(t *testing.T) {
	var log wmLog
	m := newSplitWatermarks(newMaxGen(true), 0, time.Unix(0, 0), log.emit)
	a := m.split("a")
	m.event(a, 10)
	b := m.split("b")
	m.event(b, 5)  // min(9, 4): below 9, not emitted
	m.event(a, 20) // min(19, 4)
	m.event(b, 12) // min(19, 11)
	m.finish("b")  // 19
	m.finish("a")  // no split left: hold
	if got, want := log.take(), "9 11 19"; got != want {
		t.Fatalf("emitted %q, want %q", got, want)
	}
}

func TestSplitWatermarksIdleness(t *testing.T) {
	var log wmLog
	t0 := time.Unix(0, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	m := newSplitWatermarks(newMaxGen(false), 10*time.Millisecond, t0, log.emit)
	step := func(what, want string, f func()) {
		t.Helper()
		f()
		if got := log.take(); got != want {
			t.Fatalf("%s: emitted %q, want %q", what, got, want)
		}
	}
	a, b := m.split("a"), m.split("b")
	step("both active", "4", func() { m.event(a, 10); m.event(b, 5); m.periodic(at(5)) })
	step("b quiet, not yet idle", "", func() { m.event(a, 20); m.periodic(at(10)) })
	// b has had no record since the emission at 5: idle at 15, and a alone
	// sets the watermark.
	step("b idle", "29", func() { m.event(a, 30); m.periodic(at(15)) })
	step("a quiet", "", func() { m.periodic(at(20)) })
	// a's last records were seen at 15: idle at 25, and with every split
	// idle the output is idle, once.
	step("all idle", "idle", func() { m.periodic(at(25)) })
	step("still idle", "", func() { m.periodic(at(30)); m.periodic(at(100)) })
	// A record makes its split active again (the record itself tells
	// downstream); its watermark counts from the next emission, and an
	// active split behind the watermark holds it.
	step("b back", "", func() { m.event(b, 7); m.periodic(at(105)) })
	step("b catches up", "34", func() { m.event(b, 35); m.periodic(at(110)) })
	// a is still idle; b goes idle again at 120: idle again.
	step("idle again", "idle", func() { m.periodic(at(120)) })
	// a comes back behind the watermark; b finishes while idle and
	// changes nothing; a then moves the watermark on its own.
	step("a back", "", func() { m.event(a, 31); m.periodic(at(121)) })
	step("b finishes while idle", "", func() { m.finish("b") })
	step("a ahead", "39", func() { m.event(a, 40); m.periodic(at(122)) })
	// With no split left, the subtask as a whole goes idle after the
	// timeout without records (the last were seen at 122).
	step("a finishes", "", func() { m.finish("a"); m.periodic(at(125)) })
	step("quiet subtask", "idle", func() { m.periodic(at(132)) })
	step("quiet subtask, again", "", func() { m.periodic(at(200)) })
}

func TestSplitWatermarksNoSplitWithoutIdlenessHolds(t *testing.T) {
	var log wmLog
	t0 := time.Unix(0, 0)
	m := newSplitWatermarks(newMaxGen(false), 0, t0, log.emit)
	a := m.split("a")
	m.event(a, 10)
	m.periodic(t0)
	m.finish("a")
	m.periodic(t0.Add(time.Hour))
	if got, want := log.take(), "9"; got != want {
		t.Fatalf("emitted %q, want %q", got, want)
	}
}

// fakeTimers is a ProcessingTimeService whose clock stands still and whose
// timers never fire.
type fakeTimers struct{}

func (fakeTimers) Now() time.Time                             { return time.Unix(0, 0) }
func (fakeTimers) At(time.Time, func() error) (cancel func()) { return func() {} }

// stampOutput records what reaches it: records with their timestamps, and
// watermarks.
type stampOutput struct {
	rc  *RecordContext
	got []string
}

func (o *stampOutput) Collect(v int) error {
	o.got = append(o.got, fmt.Sprintf("%d@%d", v, o.rc.Timestamp))
	return nil
}

func (o *stampOutput) EmitWatermark(wm Watermark) error {
	o.got = append(o.got, fmt.Sprintf("wm%d", wm.Time))
	return nil
}

type splitReader struct{}

func (splitReader) Fetch(context.Context, []int) ([]int, [][]byte, error) { return nil, nil, nil }
func (splitReader) FetchSplits(context.Context, []int, *connector.SplitBatch) ([]int, [][]byte, error) {
	return nil, nil, nil
}
func (splitReader) Close() error { return nil }

type plainReader struct{}

func (plainReader) Fetch(context.Context, []int) ([]int, [][]byte, error) { return nil, nil, nil }
func (plainReader) Close() error                                          { return nil }

func TestSourceTimestampsEmit(t *testing.T) {
	newTS := func(r connector.SourceReader[int]) (*sourceTimestamps[int], *stampOutput) {
		rc := &RecordContext{}
		out := &stampOutput{rc: rc}
		ctx := &Context{Node: &graph.Node{Name: "src"}, Record: rc, Timers: fakeTimers{}}
		cfg := &SourceWatermarks[int]{Timestamp: func(v int) int64 { return int64(v) }, NewGenerator: newMaxGen(true)}
		return newSourceTimestamps(ctx, cfg, r, out), out
	}

	// Per split: b holds the watermark until it finishes, after the batch's
	// records. A run of no records starts no split.
	ts, out := newTS(splitReader{})
	if ts.fetcher == nil {
		t.Fatal("a connector.SplitFetcher reader was not recognised")
	}
	batch := &connector.SplitBatch{Runs: []connector.SplitRun{{ID: "z", Records: 0}, {ID: "a", Records: 1}, {ID: "b", Records: 1}, {ID: "a", Records: 1}}, Finished: []string{"b"}}
	if err := ts.emit([]int{10, 5, 20}, batch); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(out.got, " "), "10@10 wm9 5@5 20@20 wm19"; got != want {
		t.Fatalf("per split: %q, want %q", got, want)
	}
	if len(batch.Runs) != 0 || len(batch.Finished) != 0 {
		t.Fatalf("batch not reset for reuse: %+v", batch)
	}

	// Runs that do not add up to the records fail the source.
	for _, runs := range [][]connector.SplitRun{{{ID: "a", Records: 2}}, {{ID: "a", Records: 4}}, {{ID: "a", Records: -1}, {ID: "a", Records: 4}}} {
		ts, _ := newTS(splitReader{})
		err := ts.emit([]int{1, 2, 3}, &connector.SplitBatch{Runs: runs})
		var oe *OperatorError
		if !errors.As(err, &oe) || oe.Operator != "src" || !strings.Contains(err.Error(), "described") {
			t.Fatalf("runs %v: error %v, want an OperatorError of src on the split description", runs, err)
		}
	}

	// Without connector.SplitFetcher, one generator for the subtask.
	ts, out = newTS(plainReader{})
	if err := ts.emit([]int{3, 1, 4}, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(out.got, " "), "3@3 wm2 1@1 4@4 wm3"; got != want {
		t.Fatalf("per subtask: %q, want %q", got, want)
	}
	if !slices.Equal(ts.merge.splits, []*splitClock{ts.whole}) {
		t.Fatalf("per subtask: splits %v", ts.merge.splits)
	}
}
