package weir_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/connector/discard"
)

const benchRecords = 1 << 20

// rangeSource emits 0..n-1 split among subtasks, without allocating.
type rangeSource struct{ n int64 }

func (s rangeSource) CreateReader(ctx weir.SourceContext) (weir.SourceReader[int64], error) {
	return &rangeReader{next: int64(ctx.Subtask), step: int64(ctx.Parallelism), n: s.n}, nil
}

type rangeReader struct{ next, step, n int64 }

func (r *rangeReader) Fetch(_ context.Context, buf []int64) ([]int64, [][]byte, error) {
	for len(buf) < cap(buf) && r.next < r.n {
		buf = append(buf, r.next)
		r.next += r.step
	}
	if r.next >= r.n {
		return buf, nil, io.EOF
	}
	return buf, nil, nil
}
func (r *rangeReader) Close() error { return nil }

func runBench(b *testing.B, declare func(e *weir.Environment)) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		e := env(&testing.T{}, "parallelism.default=1")
		e.SetLogger(slog.New(slog.DiscardHandler))
		declare(e)
		if err := e.Execute(context.Background(), "bench"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchRecords)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkBaselineLoop does the chain's work in a plain loop.
func BenchmarkBaselineLoop(b *testing.B) {
	for i := 0; i < b.N; i++ {
		var sum int64
		for v := int64(0); v < benchRecords; v++ {
			if w := v * 3; w%2 == 0 {
				sum += w
			}
		}
		_ = sum
	}
	b.ReportMetric(float64(benchRecords)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkChain: source -> Map -> Filter -> sink, all chained.
func BenchmarkChain(b *testing.B) {
	runBench(b, func(e *weir.Environment) {
		m := weir.Map(weir.FromSource(e, rangeSource{benchRecords}, "Range"), func(v int64) (int64, error) { return v * 3, nil })
		f := weir.Filter(m, func(v int64) (bool, error) { return v%2 == 0, nil })
		f.SinkTo(discard.New[int64](), "Discard")
	})
}

// BenchmarkExchange: the same records serialized through a network exchange.
func BenchmarkExchange(b *testing.B) {
	runBench(b, func(e *weir.Environment) {
		src := weir.FromSource(e, rangeSource{benchRecords}, "Range")
		src.Rebalance().SinkTo(discard.New[int64](), "Discard").SetParallelism(1)
		// Rebalance between equal parallelism still crosses tasks.
	})
}

// BenchmarkBaselineSum is a keyed running sum in a plain map.
func BenchmarkBaselineSum(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sums := map[int64]int64{}
		for v := int64(0); v < benchRecords; v++ {
			sums[v%1000] += v
		}
	}
	b.ReportMetric(float64(benchRecords)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkKeyedSum: KeyBy (hash exchange by key group) and Sum on heap
// state, emitting every update.
func BenchmarkKeyedSum(b *testing.B) {
	runBench(b, func(e *weir.Environment) {
		src := weir.FromSource(e, rangeSource{benchRecords}, "Range")
		pairs := weir.Map(src, func(v int64) (weir.Tuple2[int64, int64], error) {
			return weir.Tuple2[int64, int64]{F0: v % 1000, F1: v}, nil
		})
		sums := weir.Sum(weir.KeyBy(pairs, func(t weir.Tuple2[int64, int64]) int64 { return t.F0 }),
			func(t *weir.Tuple2[int64, int64]) *int64 { return &t.F1 })
		sums.SinkTo(discard.New[weir.Tuple2[int64, int64]](), "Discard")
	})
}
