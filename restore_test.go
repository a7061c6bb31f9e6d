package weir_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/connector/discard"
	"github.com/weirstream/weir/internal/testutil"
)

const restoreRecords = 50000

// restoreJob declares a keyed count: a datagen source of (key, 1) records
// (UID "source"), a Sum keyed by key with the given UID, and a discarding
// sink. rate 0 means unthrottled.
func restoreJob(t *testing.T, ckptDir, countUID string, rate float64, kv ...string) (*weir.Environment, *discard.Sink[weir.Tuple2[string, int64]], *testutil.LockedBuffer) {
	t.Helper()
	cfg := config.New()
	if err := cfg.SetPairs(append([]string{
		"parallelism.default=2",
		"execution.checkpointing.interval=50ms",
		"execution.checkpointing.dir=" + ckptDir,
	}, kv...)); err != nil {
		t.Fatal(err)
	}
	e := weir.NewEnvironment(cfg)
	logs := &testutil.LockedBuffer{}
	e.SetLogger(slog.New(slog.NewTextHandler(logs, nil)))
	var src weir.Source[weir.Tuple2[string, int64]] = datagen.New(restoreRecords, 7, func(_ int64, rnd uint64) weir.Tuple2[string, int64] {
		return weir.Tuple2[string, int64]{F0: fmt.Sprintf("k%d", rnd%20), F1: 1}
	})
	if rate > 0 {
		src = connector.RateLimit(src, rate)
	}
	records := weir.FromSource(e, src, "Records").UID("source")
	counts := weir.Sum(weir.KeyBy(records, func(r weir.Tuple2[string, int64]) string { return r.F0 }),
		func(r *weir.Tuple2[string, int64]) *int64 { return &r.F1 }).Name("Count").UID(countUID)
	sink := discard.New[weir.Tuple2[string, int64]]()
	counts.SinkTo(sink, "Discard").UID("sink")
	return e, sink, logs
}

// retainedCheckpoint runs the job with a count of UID "count" until a
// checkpoint completed, then cancels it; RETAIN_ON_CANCELLATION (the
// default) keeps the checkpoint. It returns the job's checkpoint directory.
func retainedCheckpoint(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ckpt")
	e, _, logs := restoreJob(t, dir, "count", 5000)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.Execute(ctx, "restore-test") }()
	deadline := time.After(30 * time.Second)
	for !strings.Contains(logs.String(), `msg="checkpoint completed"`) {
		select {
		case err := <-done:
			t.Fatalf("the job ended (%v) before a checkpoint completed:\n%s", err, logs.String())
		case <-deadline:
			t.Fatalf("no checkpoint completed:\n%s", logs.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled job returned %v, want context.Canceled", err)
	}
	if !strings.Contains(logs.String(), `msg="checkpoint retained"`) {
		t.Fatalf("the cancelled job retained no checkpoint:\n%s", logs.String())
	}
	return filepath.Join(dir, "restore-test")
}

// TestRestoreRefusesStateThatDoesNotFit restores a checkpoint into jobs
// that do not match it: an operator with another UID, or another max
// parallelism.
func TestRestoreRefusesStateThatDoesNotFit(t *testing.T) {
	path := retainedCheckpoint(t)

	t.Run("operator UID changed", func(t *testing.T) {
		e, _, _ := restoreJob(t, filepath.Join(t.TempDir(), "ckpt"), "count-v2", 0)
		e.RestoreFrom(path, false)
		err := e.Execute(context.Background(), "restore-test")
		if !errors.Is(err, weir.ErrRestore) {
			t.Fatalf("got %v, want an error wrapping weir.ErrRestore", err)
		}
		for _, s := range []string{"(UIDs count)", "--allow-non-restored-state"} {
			if !strings.Contains(err.Error(), s) {
				t.Fatalf("%q does not say %q", err, s)
			}
		}
		t.Log(err)
	})

	t.Run("allow non-restored state", func(t *testing.T) {
		e, sink, logs := restoreJob(t, filepath.Join(t.TempDir(), "ckpt"), "count-v2", 0)
		e.RestoreFrom(path, true)
		if err := e.Execute(context.Background(), "restore-test"); err != nil {
			t.Fatalf("%v\n%s", err, logs.String())
		}
		if !strings.Contains(logs.String(), "msg=restoring") {
			t.Fatalf("the job did not restore:\n%s", logs.String())
		}
		// The source resumed from its restored position: fewer records than
		// a fresh run, but some.
		if n := sink.Count(); n <= 0 || n >= restoreRecords {
			t.Fatalf("%d records after restoring the source position, want between 0 and %d", n, restoreRecords)
		}
		t.Logf("%d of %d records after the restored position", sink.Count(), restoreRecords)
	})

	t.Run("max parallelism changed", func(t *testing.T) {
		e, _, _ := restoreJob(t, filepath.Join(t.TempDir(), "ckpt"), "count", 0, "pipeline.max-parallelism=256")
		e.RestoreFrom(path, false)
		err := e.Execute(context.Background(), "restore-test")
		if !errors.Is(err, weir.ErrRestore) {
			t.Fatalf("got %v, want an error wrapping weir.ErrRestore", err)
		}
		for _, s := range []string{"pipeline.max-parallelism 128", "now has 256"} {
			if !strings.Contains(err.Error(), s) {
				t.Fatalf("%q does not say %q", err, s)
			}
		}
		t.Log(err)
	})
}
