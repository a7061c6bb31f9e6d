package nexmark_test

import (
	"cmp"
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/config"
	gen "github.com/weirstream/weir/connector/nexmark"
	"github.com/weirstream/weir/examples/nexmark"
)

// BenchmarkQuery runs each query over 2 million events at parallelism 1,
// rows discarded, as `weir bench nexmark` does, on the heap backend or, with
// WEIR_BENCH_BACKEND=pebble, on pebble; for CPU profiles:
//
//	go test -run '^$' -bench 'Query/q4' -benchtime 3x -cpuprofile q4.prof ./examples/nexmark/
//	go tool pprof -top q4.prof
func BenchmarkQuery(b *testing.B) {
	const events = 2_000_000
	for _, q := range nexmark.Queries {
		b.Run(q.Name, func(b *testing.B) {
			c := gen.DefaultConfig()
			c.Events = events
			for b.Loop() {
				cfg := config.New()
				backend := cmp.Or(os.Getenv("WEIR_BENCH_BACKEND"), "hashmap")
				if err := cfg.SetPairs([]string{"parallelism.default=1", "state.backend.type=" + backend}); err != nil {
					b.Fatal(err)
				}
				e := weir.NewEnvironment(cfg)
				e.SetLogger(slog.New(slog.DiscardHandler))
				in, _, err := nexmark.Events(e, c, 0)
				if err != nil {
					b.Fatal(err)
				}
				q.Discard(in)
				if err := e.Execute(context.Background(), q.Name); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
