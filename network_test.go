package weir_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/internal/testutil"
)

// With several task managers in the process, records between them travel
// over TCP; the counts must be exactly those of the one-process run.
func TestWordCountOverTCP(t *testing.T) {
	defer goleak.VerifyNone(t)
	in := lines(20000)
	for _, c := range []struct{ p, tms int }{{2, 2}, {4, 2}, {3, 3}} {
		t.Run(fmt.Sprintf("p%d-tm%d", c.p, c.tms), func(t *testing.T) {
			e := env(t, fmt.Sprintf("parallelism.default=%d", c.p), "taskmanager.memory.segment-size=4kb",
				fmt.Sprintf("minicluster.number-of-taskmanagers=%d", c.tms))
			sink := &gather[weir.Tuple2[string, int64]]{}
			wordCounts(e, in).SinkTo(sink, "Gather").SetParallelism(1)
			var log testutil.LockedBuffer
			e.SetLogger(slog.New(slog.NewTextHandler(&log, nil)))
			if err := e.Execute(context.Background(), "wc"); err != nil {
				t.Fatal(err)
			}
			// Every pair of task managers exchanged records over its
			// connection: both ends log it drained.
			if n, want := strings.Count(log.String(), `msg="data connection drained"`), c.tms*(c.tms-1); n != want {
				t.Fatalf("%d data connections drained, want %d; the log:\n%s", n, want, log.String())
			}
			if strings.Contains(log.String(), `"sent bytes"=0 `) {
				t.Fatalf("a data connection carried nothing; the log:\n%s", log.String())
			}
			checkWordCounts(t, sink.got, in)
		})
	}
}
