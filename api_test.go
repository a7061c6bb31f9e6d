package weir_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/runtime"
)

// sliceSource emits a fixed slice, split evenly among its subtasks.
type sliceSource[T any] struct{ items []T }

func (s sliceSource[T]) CreateReader(ctx weir.SourceContext) (weir.SourceReader[T], error) {
	var mine []T
	for i := ctx.Subtask; i < len(s.items); i += ctx.Parallelism {
		mine = append(mine, s.items[i])
	}
	return &sliceReader[T]{items: mine}, nil
}

type sliceReader[T any] struct{ items []T }

func (r *sliceReader[T]) Fetch(_ context.Context, buf []T) ([]T, [][]byte, error) {
	n := min(cap(buf)-len(buf), len(r.items))
	buf = append(buf, r.items[:n]...)
	r.items = r.items[n:]
	if len(r.items) == 0 {
		return buf, nil, io.EOF
	}
	return buf, nil, nil
}
func (r *sliceReader[T]) Close() error { return nil }

// gather collects every record of every sink subtask.
type gather[T any] struct {
	mu  sync.Mutex
	got []T
}

func (g *gather[T]) CreateWriter(weir.SinkContext) (weir.SinkWriter[T], error) { return g, nil }
func (g *gather[T]) Write(v T) error {
	g.mu.Lock()
	g.got = append(g.got, v)
	g.mu.Unlock()
	return nil
}
func (g *gather[T]) Flush(bool) error { return nil }
func (g *gather[T]) Close() error     { return nil }

func env(t *testing.T, kv ...string) *weir.Environment {
	t.Helper()
	cfg := config.New()
	if err := cfg.SetPairs(kv); err != nil {
		t.Fatal(err)
	}
	return weir.NewEnvironment(cfg)
}

func lines(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("w%d w%d common", i%7, i%13)
	}
	return out
}

// finalCounts reads a running word count's output: the last count per word.
func finalCounts(recs []weir.Tuple2[string, int64]) map[string]int64 {
	m := map[string]int64{}
	for _, r := range recs {
		if r.F1 > m[r.F0] {
			m[r.F0] = r.F1
		}
	}
	return m
}

func wantCounts(in []string) map[string]int64 {
	m := map[string]int64{}
	for _, l := range in {
		for _, w := range strings.Fields(l) {
			m[w]++
		}
	}
	return m
}

func TestWordCountAtParallelism(t *testing.T) {
	defer goleak.VerifyNone(t)
	in := lines(20000)
	for _, p := range []int{1, 2, 4} {
		t.Run(fmt.Sprint("p", p), func(t *testing.T) {
			e := env(t, fmt.Sprintf("parallelism.default=%d", p), "taskmanager.memory.segment-size=4kb")
			sink := &gather[weir.Tuple2[string, int64]]{}
			wordCounts(e, in).SinkTo(sink, "Gather")
			if err := e.Execute(context.Background(), "wc"); err != nil {
				t.Fatal(err)
			}
			checkWordCounts(t, sink.got, in)
		})
	}
}

// wordCounts declares a running word count of in's lines on e.
func wordCounts(e *weir.Environment, in []string) weir.DataStream[weir.Tuple2[string, int64]] {
	words := weir.FlatMap(weir.FromSource(e, sliceSource[string]{in}, "Lines"),
		func(l string, out weir.Collector[weir.Tuple2[string, int64]]) error {
			for _, w := range strings.Fields(l) {
				out.Collect(weir.Tuple2[string, int64]{F0: w, F1: 1})
			}
			return nil
		})
	return weir.Sum(weir.KeyBy(words, func(t weir.Tuple2[string, int64]) string { return t.F0 }),
		func(t *weir.Tuple2[string, int64]) *int64 { return &t.F1 })
}

// checkWordCounts fails t unless got holds one update per word of in
// (lines' three words each) and ends at in's counts.
func checkWordCounts(t *testing.T, got []weir.Tuple2[string, int64], in []string) {
	t.Helper()
	if n, want := len(got), 3*len(in); n != want {
		t.Fatalf("%d updates, want one per word: %d", n, want)
	}
	if final, want := finalCounts(got), wantCounts(in); fmt.Sprint(final) != fmt.Sprint(want) {
		t.Fatalf("counts differ:\n got %v\nwant %v", final, want)
	}
}

func TestChainingAndPlan(t *testing.T) {
	e := env(t, "parallelism.default=2")
	src := weir.FromSource(e, sliceSource[int]{[]int{1}}, "Nums")
	m := weir.Map(src, func(v int) (int, error) { return v * 2, nil })
	f := weir.Filter(m, func(v int) (bool, error) { return v > 0, nil })
	r := weir.Reduce(weir.KeyBy(f, func(v int) int { return v % 3 }), func(a, b int) (int, error) { return a + b, nil })
	r.Rebalance().SinkTo(&gather[int]{}, "Out").SetParallelism(1)
	_, plan, err := e.Plan()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range plan.Vertices {
		names = append(names, fmt.Sprintf("%s x%d", v.Name, v.Parallelism))
	}
	want := []string{"Source: Nums -> Map -> Filter x2", "Reduce x2", "Out x1"}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Fatalf("vertices %q, want %q", names, want)
	}
}

func TestUserErrorFailsJobWithOperatorAndSubtask(t *testing.T) {
	defer goleak.VerifyNone(t)
	e := env(t, "parallelism.default=2")
	src := weir.FromSource(e, sliceSource[int]{[]int{1, 2, 3, 4, 5, 6}}, "Nums")
	m := weir.Map(src, func(v int) (int, error) {
		if v == 4 {
			return 0, errors.New("four is not allowed")
		}
		return v, nil
	}).Name("Check")
	m.SinkTo(&gather[int]{}, "Out")
	err := e.Execute(context.Background(), "fail")
	var te *runtime.TaskError
	if !errors.As(err, &te) {
		t.Fatalf("error %v is not a task failure", err)
	}
	// 4 is the 4th item: subtask 1 of 2 (0-based) reads items 1, 3, 5.
	if got, want := err.Error(), "Check (2/2) failed: four is not allowed"; got != want {
		t.Fatalf("error %q, want %q", got, want)
	}
}

func TestUnionAndBroadcast(t *testing.T) {
	defer goleak.VerifyNone(t)
	e := env(t, "parallelism.default=2")
	a := weir.FromSource(e, sliceSource[int]{[]int{1, 2, 3}}, "A")
	b := weir.FromSource(e, sliceSource[int]{[]int{10, 20}}, "B").SetParallelism(1)
	u := weir.Union(a, b)
	sink := &gather[int]{}
	u.Broadcast().SinkTo(sink, "Out").SetParallelism(3)
	if err := e.Execute(context.Background(), "union"); err != nil {
		t.Fatal(err)
	}
	sort.Ints(sink.got)
	if got, want := fmt.Sprint(sink.got), "[1 1 1 2 2 2 3 3 3 10 10 10 20 20 20]"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}
