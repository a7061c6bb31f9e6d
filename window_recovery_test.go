package weir_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/connector/file"
	"github.com/weirstream/weir/internal/testutil"
)

// winJoinRecs generates n join records over keys: left or right at random,
// the i-th at 2i plus up to 15 ms of jitter.
func winJoinRecs(n int64, seed uint64, keys uint64) *datagen.Source[joinRec] {
	return datagen.New(n, seed, func(i int64, rnd uint64) joinRec {
		return joinRec{Left: rnd>>40&1 == 0, Key: fmt.Sprintf("k%d", rnd%keys), Name: fmt.Sprint(i), TS: 2*i + int64((rnd>>16)%16)}
	})
}

// joinBand is an unbounded join written as a co-process function: every
// left and right record of a key at most 10 ms apart make a pair. Each side
// keeps its records in list state until an event-time timer 10 ms after a
// record drops it; a partner arriving later would be more than 10 ms away
// (it is not late), so no pair is missed, whatever the timing.
type joinBand struct {
	left, right weir.ListState[joinRec]
}

func (j *joinBand) Open(ctx *weir.OpenContext[string]) (err error) {
	if j.left, err = weir.NewListState[joinRec](ctx, "left"); err != nil {
		return err
	}
	j.right, err = weir.NewListState[joinRec](ctx, "right")
	return err
}

func (j *joinBand) process(ctx *weir.Context[string], mine, other weir.ListState[joinRec], v joinRec, out weir.Collector[string]) error {
	others, err := other.Get()
	if err != nil {
		return err
	}
	for _, o := range others {
		if max(o.TS-v.TS, v.TS-o.TS) <= 10 {
			a, b := v, o
			if !v.Left {
				a, b = o, v
			}
			out.Collect(a.Name + "+" + b.Name)
		}
	}
	if err := mine.Add(v); err != nil {
		return err
	}
	return ctx.TimerService().RegisterEventTimeTimer(v.TS + 10)
}

func (j *joinBand) ProcessElement1(ctx *weir.Context[string], v joinRec, out weir.Collector[string]) error {
	return j.process(ctx, j.left, j.right, v, out)
}

func (j *joinBand) ProcessElement2(ctx *weir.Context[string], v joinRec, out weir.Collector[string]) error {
	return j.process(ctx, j.right, j.left, v, out)
}

func (j *joinBand) OnTimer(_ *weir.Context[string], ts int64, _ weir.Collector[string]) error {
	for _, s := range []weir.ListState[joinRec]{j.left, j.right} {
		l, err := s.Get()
		if err != nil {
			return err
		}
		keep := slices.DeleteFunc(l, func(r joinRec) bool { return r.TS+10 <= ts })
		if err := s.Update(keep); err != nil {
			return err
		}
	}
	return nil
}

// winRecoveryJob declares a windowed job: check(0) runs once per input
// record before the keyed exchange, check(1) once per result; both fail
// the job when the injector says so.
type winRecoveryJob struct {
	name    string
	declare func(e *weir.Environment, check func(int) error) weir.DataStream[string]
}

const winRecoveryRecords = 3000

// winRecoveryRate is the sources' rate (records a second): slow enough
// that the input lasts many checkpoint intervals (0.4 s at least), so that
// under load a checkpoint completes before the source has sent everything
// and the injector (which waits for one) can fail each attempt.
const winRecoveryRate = 8000

// winEventStream is the events of winEvents, throttled, with event time
// (made even when even is set) and the injector's check 0.
func winEventStream(e *weir.Environment, check func(int) error, even bool) weir.KeyedStream[string, event] {
	src := weir.FromSource(e, connector.RateLimit[event](winEvents(winRecoveryRecords, 7, 11), winRecoveryRate), "Events")
	ts := weir.AssignTimestampsAndWatermarks(src, weir.ForBoundedOutOfOrderness(15*time.Millisecond, func(e event) int64 {
		if even {
			return e.TS &^ 1
		}
		return e.TS
	}))
	checked := weir.Map(ts, func(e event) (event, error) { return e, check(0) })
	return weir.KeyBy(checked, func(e event) string { return e.Key })
}

func winJoinStreams(e *weir.Environment, check func(int) error) (weir.KeyedStream[string, joinRec], weir.KeyedStream[string, joinRec]) {
	src := weir.FromSource(e, connector.RateLimit[joinRec](winJoinRecs(winRecoveryRecords, 7, 5), winRecoveryRate), "Records")
	ts := weir.AssignTimestampsAndWatermarks(src, weir.ForBoundedOutOfOrderness(15*time.Millisecond, func(r joinRec) int64 { return r.TS }))
	checked := weir.Map(ts, func(r joinRec) (joinRec, error) { return r, check(0) })
	key := func(r joinRec) string { return r.Key }
	return weir.KeyBy(weir.Filter(checked, func(r joinRec) (bool, error) { return r.Left, nil }), key),
		weir.KeyBy(weir.Filter(checked, func(r joinRec) (bool, error) { return !r.Left, nil }), key)
}

var winRecoveryJobs = []winRecoveryJob{
	{"tumbling", func(e *weir.Environment, check func(int) error) weir.DataStream[string] {
		return weir.AggregateProcessWindow(weir.Window(winEventStream(e, check, false), weir.TumblingEventTimeWindows(40*time.Millisecond)), winCountAgg{}, winFormatCount)
	}},
	{"sliding", func(e *weir.Environment, check func(int) error) weir.DataStream[string] {
		return weir.AggregateProcessWindow(weir.Window(winEventStream(e, check, false), weir.SlidingEventTimeWindows(40*time.Millisecond, 15*time.Millisecond)), winCountAgg{}, winFormatCount)
	}},
	{"session", func(e *weir.Environment, check func(int) error) weir.DataStream[string] {
		// Even timestamps and an odd gap: no record can fall exactly on
		// the end of a session that already fired, which would make
		// merging depend on timing (in Flink as here).
		ks := winEventStream(e, check, true)
		return weir.ProcessWindow(weir.Window(ks, weir.EventTimeSessionWindows(31*time.Millisecond)),
			func(ctx weir.WindowContext[string], es []event, out weir.Collector[string]) error {
				out.Collect(fmt.Sprintf("%s %v %d", ctx.Key, ctx.Window, len(es)))
				return nil
			})
	}},
	{"count", func(e *weir.Environment, check func(int) error) weir.DataStream[string] {
		// Only the size of each firing: which records make a window of 3
		// depends on how two source subtasks interleave.
		return weir.ReduceProcessWindow(weir.CountWindow(winEventStream(e, check, false), 3),
			func(a, b event) (event, error) { a.N += b.N; return a, nil },
			func(ctx weir.WindowContext[string], v []event, out weir.Collector[string]) error {
				out.Collect(fmt.Sprintf("%s %d", ctx.Key, v[0].N))
				return nil
			})
	}},
	{"window-join", func(e *weir.Environment, check func(int) error) weir.DataStream[string] {
		l, r := winJoinStreams(e, check)
		return weir.JoinWindow(l, r, weir.TumblingEventTimeWindows(30*time.Millisecond), joinPair)
	}},
	{"interval-join", func(e *weir.Environment, check func(int) error) weir.DataStream[string] {
		l, r := winJoinStreams(e, check)
		return weir.IntervalJoin(l, r, -7*time.Millisecond, 12*time.Millisecond, joinPair)
	}},
	{"co-process", func(e *weir.Environment, check func(int) error) weir.DataStream[string] {
		l, r := winJoinStreams(e, check)
		return weir.CoProcess(l, r, func() weir.KeyedCoProcessFunction[string, joinRec, joinRec, string] { return &joinBand{} })
	}},
}

func TestWindowJobsExactlyOnceUnderRandomFailures(t *testing.T) {
	defer goleak.VerifyNone(t)
	for i, job := range winRecoveryJobs {
		t.Run(job.name, func(t *testing.T) {
			want, _, _ := runWinRecoveryJob(t, job, nil)
			if len(want) == 0 {
				t.Fatal("the job produced nothing")
			}
			// Failures at a random record between a tenth and three tenths
			// of the way (of the input, or of the results), once a
			// checkpoint has completed, so that all three fit in the input
			// and each restores from a checkpoint.
			rng := rand.New(rand.NewPCG(uint64(i), 99))
			between := func(n int64) int64 { return n/10 + rng.Int64N(n/5+1) }
			in := &injector{
				thresholds: []int64{between(winRecoveryRecords), between(int64(len(want))), between(winRecoveryRecords)},
				ops:        []string{"0", "1", "0"},
			}
			// The same failures on each backend: window contents, timers
			// and join buffers survive recovery on pebble too (with
			// incremental checkpoints and local recovery).
			for _, backend := range [][]string{nil, {"state.backend.type=pebble",
				"execution.checkpointing.incremental=true", "execution.state-recovery.from-local=true",
				"state.backend.rocksdb.writebuffer.size=256kb"}} {
				in := &injector{thresholds: in.thresholds, ops: in.ops}
				name := "hashmap"
				if backend != nil {
					name = "pebble"
				}
				got, restored, logs := runWinRecoveryJob(t, job, in, backend...)
				if backend != nil && restored > 0 {
					local := false
					for _, l := range strings.Split(logs, "\n") {
						local = local || strings.Contains(l, `msg="restored pebble state"`) && strings.Contains(l, " how=local ")
					}
					if !local {
						t.Errorf("%s: no restart on pebble used the local copy (local recovery is on)", job.name)
					}
				}
				if !slices.Equal(got, want) {
					t.Fatalf("%s, %d failures: %d results, %d without failures; first difference at %s", name, in.failures.Load(), len(got), len(want), winFirstDiff(got, want))
				}
				// Pebble checkpoints take longer (a flush and an upload):
				// the injector waits for one on each backend alike.
				checkRestores(t, in, restored)
				t.Logf("%s on %s: %d failures injected, %d restores from a checkpoint, %d results committed exactly once", job.name, name, in.failures.Load(), restored, len(got))
			}
		})
	}
}

// runWinRecoveryJob runs job with checkpoints every 20 ms and fixed-delay
// restarts, failing where in says (nil: never), and returns the sorted
// lines its exactly-once file sink committed, and how many restarts
// started from a checkpoint.
func runWinRecoveryJob(t *testing.T, job winRecoveryJob, in *injector, extra ...string) (lines []string, fromCheckpoint int, log string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	e := env(t, append([]string{"parallelism.default=2",
		"pipeline.auto-watermark-interval=5ms",
		"execution.checkpointing.interval=20ms",
		"execution.checkpointing.dir=" + filepath.Join(t.TempDir(), "ckpt"),
		"restart-strategy.type=fixed-delay",
		"restart-strategy.fixed-delay.attempts=10",
		"restart-strategy.fixed-delay.delay=10ms",
		"state.backend.rocksdb.localdir=" + t.TempDir()}, extra...)...)
	var logs testutil.LockedBuffer
	counter := testutil.CountMessages(slog.NewTextHandler(&logs, nil), "checkpoint completed", "restarting job")
	e.SetLogger(slog.New(counter))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the job's log:\n%s", logs.String())
		}
	})
	check := func(int) error { return nil }
	if in != nil {
		in.completed = func() int64 { return counter.Count("checkpoint completed") }
		in.restarts = func() int64 { return counter.Count("restarting job") }
		check = in.check
	}
	results := job.declare(e, check)
	weir.Map(results, func(s string) (string, error) { return s, check(1) }).SinkTo(file.NewSink(out), "Files")
	if err := e.Execute(context.Background(), job.name); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(out)
	for _, de := range entries {
		if file.IsBookkeeping(de.Name()) {
			continue
		}
		if strings.HasPrefix(de.Name(), ".") {
			t.Fatalf("uncommitted file %s left behind", de.Name())
		}
		b, err := os.ReadFile(filepath.Join(out, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if s := strings.TrimSpace(string(b)); s != "" {
			lines = append(lines, strings.Split(s, "\n")...)
		}
	}
	slices.Sort(lines)
	return lines, testutil.CountRestores(logs.String()), logs.String()
}
