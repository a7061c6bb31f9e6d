package weir_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/connector/discard"
	"github.com/weirstream/weir/internal/testutil"
)

// TestOptionsWithoutEffectAreLogged (issue 20 item 5): an option Weir
// accepts but does not act on in this run is never silently ignored: the
// job logs one warning per option, saying why, and runs.
func TestOptionsWithoutEffectAreLogged(t *testing.T) {
	cfg := config.New()
	if err := cfg.SetPairs([]string{
		"heartbeat.timeout=90 s",
		"restart-strategy.type=none",
		"restart-strategy.fixed-delay.attempts=7",
	}); err != nil {
		t.Fatal(err)
	}
	var logs testutil.LockedBuffer
	e := weir.NewEnvironment(cfg)
	e.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	weir.FromSource(e, datagen.New(10, 0, func(i int64, _ uint64) int64 { return i }), "Numbers").
		SinkTo(discard.New[int64](), "Discard")
	if err := e.Execute(context.Background(), "options"); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	for _, want := range []string{
		"heartbeat.timeout is set but has no effect: heartbeats take effect only in a cluster",
		"restart-strategy.fixed-delay.attempts is set but has no effect",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the log does not say %q:\n%s", want, out)
		}
	}
	if n := bytes.Count([]byte(out), []byte("level=WARN")); n != 2 {
		t.Errorf("%d warnings, want 2 (one per option):\n%s", n, out)
	}
}
