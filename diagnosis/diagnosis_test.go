package diagnosis_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/connector/discard"
	"github.com/weirstream/weir/diagnosis"
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/internal/testutil"
)

// slowSink takes per for every record: a database that cannot keep up.
type slowSink struct{ per time.Duration }

func (s slowSink) CreateWriter(weir.SinkContext) (weir.SinkWriter[int64], error) { return s, nil }
func (s slowSink) Write(int64) error {
	time.Sleep(s.per) // the slowness under test, not synchronisation
	return nil
}
func (slowSink) Flush(bool) error { return nil }
func (slowSink) Close() error     { return nil }

func newEnv(t *testing.T, kv ...string) *weir.Environment {
	t.Helper()
	cfg := config.New()
	kv = append([]string{
		"execution.checkpointing.interval=100ms",
		"execution.checkpointing.timeout=300ms",
		"execution.checkpointing.tolerable-failed-checkpoints=1000",
		"execution.checkpointing.dir=" + filepath.Join(t.TempDir(), "ckpt"),
		"restart-strategy.type=disable",
		// Small buffers: a wait for one lasts less than the runtime's
		// one-second sampling period, so that it is counted in it.
		"execution.buffer-timeout.interval=10ms",
	}, kv...)
	if err := cfg.SetPairs(kv); err != nil {
		t.Fatal(err)
	}
	return weir.NewEnvironment(cfg)
}

// diagnoseRunning runs the job and, once every vertex has a sample of its
// rates, explains the newest finished checkpoint that failed or took longer
// than the interval.
// The job is cancelled before it returns.
func diagnoseRunning(t *testing.T, e *weir.Environment, name string) (diagnosis.Finding, []graph.VertexStatus) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Execute(ctx, name) }()
	ended := false
	defer func() {
		cancel()
		if !ended {
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("job %s: %v", name, err)
			}
		}
	}()
	job := e.Job()
	var (
		found    diagnosis.Finding
		vs       []graph.VertexStatus
		stats    checkpoint.Stats
		explains = func() bool {
			var ok bool
			vs = job.Vertices()
			stats, ok = job.CheckpointStats()
			if !ok || !sampled(vs) {
				return false
			}
			cfg := job.CheckpointConfig()
			for _, cp := range stats.History { // newest first
				if cp.Status == checkpoint.StatusInProgress {
					continue
				}
				found, ok = diagnosis.Explain(diagnosis.Input{Checkpoint: cp, Interval: cfg.Interval, Timeout: cfg.Timeout, Vertices: vs, SlowShare: 1})
				return ok
			}
			return false
		}
	)
	testutil.Await(t, 30*time.Second, func() bool {
		select {
		case err := <-done:
			ended = true
			t.Fatalf("job %s ended (%v) before a slow or expired checkpoint", name, err)
		default:
		}
		return explains()
	}, func() string { return fmt.Sprintf("no slow or expired checkpoint; stats %+v", stats) })
	return found, vs
}

// sampled reports whether every vertex has busy, backpressured and idle
// figures (the runtime samples them every second).
func sampled(vs []graph.VertexStatus) bool {
	for _, v := range vs {
		var sum float64
		for _, s := range v.Subtasks {
			sum += s.BusyTimeMsPerSecond + s.BackPressuredTimeMsPerSecond + s.IdleTimeMsPerSecond
		}
		if sum == 0 {
			return false
		}
	}
	return len(vs) > 0
}

func logFinding(t *testing.T, f diagnosis.Finding) {
	t.Helper()
	t.Logf("%s\n  %s\n  %s", f.Summary, strings.Join(f.Causes, "\n  "), strings.Join(f.Advice, "\n  "))
}

// TestDiagnoseSlowSink is the first seed: a sink ten times slower than the
// source backpressures it, barriers queue behind the backlog and
// checkpoints expire. The diagnosis must blame the sink and the
// backpressure, as raising the sink's parallelism is what fixed it.
func TestDiagnoseSlowSink(t *testing.T) {
	e := newEnv(t)
	src := connector.RateLimit(datagen.New(200000, 1, func(i int64, _ uint64) int64 { return i }), 10000)
	weir.FromSource(e, src, "Gen").Rebalance().SinkTo(slowSink{per: time.Millisecond}, "Slow Sink")
	f, vs := diagnoseRunning(t, e, "slow-sink")
	logFinding(t, f)
	if f.Cause != diagnosis.CauseBackpressure {
		t.Errorf("cause %q, want %q", f.Cause, diagnosis.CauseBackpressure)
	}
	if f.Bottleneck < 0 || vs[f.Bottleneck].Name != "Slow Sink" {
		t.Errorf("bottleneck %d, want the sink", f.Bottleneck)
	}
	for _, w := range []string{"backpressured data", "the bottleneck is Slow Sink"} {
		if !strings.Contains(f.Summary, w) {
			t.Errorf("summary lacks %q: %s", w, f.Summary)
		}
	}
	if !strings.Contains(strings.Join(f.Advice, " "), "Raise the parallelism of Slow Sink (now 1)") {
		t.Errorf("advice does not say to raise the sink's parallelism: %q", f.Advice)
	}
}

// TestDiagnoseHotKey is the fourth seed: 90% of the records carry one key,
// so one subtask of the keyed operator gets them all and cannot keep up.
func TestDiagnoseHotKey(t *testing.T) {
	e := newEnv(t, "execution.buffer-timeout.interval=50ms")
	src := connector.RateLimit(datagen.New(200000, 3, func(i int64, rnd uint64) weir.Tuple2[string, int64] {
		key := "hot"
		if rnd%10 == 0 {
			key = fmt.Sprintf("k%d", rnd%997)
		}
		return weir.Tuple2[string, int64]{F0: key, F1: 1}
	}), 3000)
	counts := weir.Reduce(weir.KeyBy(weir.FromSource(e, src, "Events"), func(t weir.Tuple2[string, int64]) string { return t.F0 }),
		func(acc, v weir.Tuple2[string, int64]) (weir.Tuple2[string, int64], error) {
			time.Sleep(time.Millisecond) // an expensive aggregation
			acc.F1 += v.F1
			return acc, nil
		}).Name("Count").SetParallelism(2)
	counts.SinkTo(discard.New[weir.Tuple2[string, int64]](), "Discard").SetParallelism(2)
	f, vs := diagnoseRunning(t, e, "hot-key")
	logFinding(t, f)

	count := -1
	for _, v := range vs {
		if strings.HasPrefix(v.Name, "Count") {
			count = v.ID
		}
	}
	if count < 0 {
		t.Fatalf("no Count vertex in %+v", vs)
	}
	hot := 0
	for i, s := range vs[count].Subtasks {
		if s.RecordsIn > vs[count].Subtasks[hot].RecordsIn {
			hot = i
		}
	}
	if f.HotVertex != count || f.HotSubtask != hot {
		t.Errorf("hot subtask %d/%d, want %d/%d", f.HotVertex, f.HotSubtask, count, hot)
	}
	if f.Bottleneck != count {
		t.Errorf("bottleneck %d, want %d", f.Bottleneck, count)
	}
	want := fmt.Sprintf("the bottleneck is subtask %d of %s, which receives", hot+1, vs[count].Name)
	for _, w := range []string{want, "because the keys are skewed"} {
		if !strings.Contains(f.Summary, w) {
			t.Errorf("summary lacks %q: %s", w, f.Summary)
		}
	}
	if !strings.Contains(strings.Join(f.Advice, " "), "salt the hot key") {
		t.Errorf("advice does not say to fix the skew: %q", f.Advice)
	}
}
