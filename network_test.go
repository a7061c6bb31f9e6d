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
			words := weir.FlatMap(weir.FromSource(e, sliceSource[string]{in}, "Lines"),
				func(l string, out weir.Collector[weir.Tuple2[string, int64]]) error {
					for _, w := range strings.Fields(l) {
						out.Collect(weir.Tuple2[string, int64]{F0: w, F1: 1})
					}
					return nil
				})
			counts := weir.Sum(weir.KeyBy(words, func(t weir.Tuple2[string, int64]) string { return t.F0 }),
				func(t *weir.Tuple2[string, int64]) *int64 { return &t.F1 })
			sink := &gather[weir.Tuple2[string, int64]]{}
			counts.SinkTo(sink, "Gather").SetParallelism(1)
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
			if got, want := len(sink.got), 60000; got != want {
				t.Fatalf("%d updates, want one per word: %d", got, want)
			}
			got, want := finalCounts(sink.got), wantCounts(in)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("counts differ:\n got %v\nwant %v", got, want)
			}
		})
	}
}
