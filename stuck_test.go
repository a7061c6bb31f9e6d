package weir_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/internal/testutil"
	"github.com/weirstream/weir/runtime"
)

// stuckSink's writers block in Write, ignoring cancellation, once the job
// has failed elsewhere, until release is closed.
type stuckSink struct {
	failed  chan struct{} // closed when the Map fails
	release chan struct{}
}

func (s stuckSink) CreateWriter(weir.SinkContext) (weir.SinkWriter[int64], error) { return s, nil }
func (s stuckSink) Write(int64) error {
	select {
	case <-s.failed:
		<-s.release // deaf to the cancellation that follows the failure
	default:
	}
	return nil
}
func (s stuckSink) Flush(bool) error { return nil }
func (s stuckSink) Close() error     { return nil }

// TestStuckTaskEndsTheJob: a task that does not stop when its job is
// cancelled (here after a failure, with restarts allowed) is reported after
// task.cancellation.timeout, naming it, and the job ends with
// runtime.ErrTaskStuck instead of waiting for ever; no restart is tried,
// since the stuck task still holds what it had. Before, Execute never
// returned.
func TestStuckTaskEndsTheJob(t *testing.T) {
	cfg := config.New()
	if err := cfg.SetPairs([]string{"task.cancellation.timeout=300 ms",
		"restart-strategy.type=fixed-delay", "restart-strategy.fixed-delay.attempts=3",
		"restart-strategy.fixed-delay.delay=10 ms"}); err != nil {
		t.Fatal(err)
	}
	var logs testutil.LockedBuffer
	e := weir.NewEnvironment(cfg)
	e.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	sink := stuckSink{failed: make(chan struct{}), release: make(chan struct{})}
	defer close(sink.release)
	src := datagen.New(-1, 0, func(i int64, _ uint64) int64 { return i })
	weir.Map(weir.FromSource(e, src, "Numbers"), func(v int64) (int64, error) {
		if v == 100_000 {
			close(sink.failed)
			return 0, errors.New("boom")
		}
		return v, nil
	}).Name("Fail").DisableChaining().SinkTo(sink, "Stuck")

	done := make(chan error, 1)
	go func() { done <- e.Execute(context.Background(), "stuck") }()
	var err error
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		t.Fatal("Execute did not return within a minute of the failure")
	}
	if !errors.Is(err, runtime.ErrTaskStuck) {
		t.Fatalf("Execute: %v, want ErrTaskStuck", err)
	}
	for _, want := range []string{"Stuck (1/1)", "still running 300ms after the job was cancelled", "boom", "task.cancellation.timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(logs.String(), "restarting job") {
		t.Errorf("the job was restarted with a stuck task:\n%s", logs.String())
	}
}
