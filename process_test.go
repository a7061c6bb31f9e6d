package weir_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/connector/collect"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/internal/testutil"
)

// stats keeps every kind of keyed state and reports them per record.
type stats struct {
	sum    weir.ValueState[int64]
	recent weir.ListState[int64]
	parity weir.MapState[int64, int64]
	max    weir.ReducingState[int64]
	avg    weir.AggregatingState[int64, float64]
	fail   func(int64) error
}

type avgAgg struct{}

func (avgAgg) CreateAccumulator() weir.Tuple2[int64, int64] { return weir.Tuple2[int64, int64]{} }
func (avgAgg) Add(v int64, acc weir.Tuple2[int64, int64]) (weir.Tuple2[int64, int64], error) {
	return weir.Tuple2[int64, int64]{F0: acc.F0 + v, F1: acc.F1 + 1}, nil
}
func (avgAgg) Result(acc weir.Tuple2[int64, int64]) (float64, error) {
	return float64(acc.F0) / float64(acc.F1), nil
}

func (s *stats) Open(ctx *weir.OpenContext[int64]) (err error) {
	if s.sum, err = weir.NewValueState[int64](ctx, "sum"); err != nil {
		return err
	}
	if s.recent, err = weir.NewListState[int64](ctx, "recent"); err != nil {
		return err
	}
	if s.parity, err = weir.NewMapState[int64, int64](ctx, "parity"); err != nil {
		return err
	}
	if s.max, err = weir.NewReducingState(ctx, "max", func(a, b int64) (int64, error) { return max(a, b), nil }); err != nil {
		return err
	}
	s.avg, err = weir.NewAggregatingState[int64, weir.Tuple2[int64, int64], float64](ctx, "avg", avgAgg{})
	return err
}

func (s *stats) ProcessElement(ctx *weir.Context[int64], v int64, out weir.Collector[string]) error {
	if err := s.fail(v); err != nil {
		return err
	}
	sum, _, _ := s.sum.Value()
	s.sum.Update(sum + v)
	recent, _ := s.recent.Get()
	recent = append(recent, v)
	if len(recent) > 3 {
		recent = recent[len(recent)-3:]
	}
	s.recent.Update(recent)
	n, _, _ := s.parity.Get(v % 2)
	s.parity.Put(v%2, n+1)
	s.max.Add(v)
	s.avg.Add(v)
	mx, _, _ := s.max.Get()
	avg, _, _ := s.avg.Get()
	even, _, _ := s.parity.Get(0)
	odd, _, _ := s.parity.Get(1)
	out.Collect(fmt.Sprintf("%d sum=%d recent=%v even=%d odd=%d max=%d avg=%.3f", ctx.CurrentKey(), sum+v, recent, even, odd, mx, avg))
	return nil
}

func TestKeyedStateSurvivesFailure(t *testing.T) {
	defer goleak.VerifyNone(t)
	const n = 20000
	var failed atomic.Bool
	var seen atomic.Int64
	e := env(t, "parallelism.default=2", "execution.checkpointing.interval=20ms",
		"execution.checkpointing.dir="+filepath.Join(t.TempDir(), "ckpt"),
		"restart-strategy.type=fixed-delay", "restart-strategy.fixed-delay.attempts=2",
		"restart-strategy.fixed-delay.delay=10ms")
	logs := &testutil.LockedBuffer{}
	e.SetLogger(slog.New(slog.NewTextHandler(logs, nil)))
	src := connector.RateLimit(datagen.New[int64](n, 7, func(i int64, _ uint64) int64 { return i }), 40000)
	nums := weir.FromSource(e, src, "Numbers")
	out := weir.Process(weir.KeyBy(nums, func(v int64) int64 { return v % 10 }), func() weir.KeyedProcessFunction[int64, int64, string] {
		return &stats{fail: func(int64) error {
			if seen.Add(1) == n/2 && !failed.Swap(true) {
				return errors.New("injected failure halfway")
			}
			return nil
		}}
	})
	sink := collect.New[string]()
	out.SinkTo(sink, "Collect").SetParallelism(1)
	if err := e.Execute(context.Background(), "keyed-state"); err != nil {
		t.Fatal(err)
	}
	if !failed.Load() {
		t.Fatal("the failure was never injected")
	}
	if !strings.Contains(logs.String(), `msg="restarting job" job=keyed-state attempt=1 from="checkpoint `) {
		t.Fatalf("the restart did not restore a checkpoint:\n%s", logs.String())
	}
	// The last update per key must be the failure-free one.
	last := map[string]string{}
	for _, r := range sink.Records() {
		var key string
		fmt.Sscan(r, &key)
		last[key] = r
	}
	for k := int64(0); k < 10; k++ {
		var sum, even, odd, mx, cnt int64
		var recent []int64
		for v := k; v < n; v += 10 {
			sum += v
			cnt++
			if v%2 == 0 {
				even++
			} else {
				odd++
			}
			mx = max(mx, v)
			recent = append(recent, v)
		}
		recent = recent[len(recent)-3:]
		want := fmt.Sprintf("%d sum=%d recent=%v even=%d odd=%d max=%d avg=%.3f", k, sum, recent, even, odd, mx, float64(sum)/float64(cnt))
		if got := last[fmt.Sprint(k)]; got != want {
			t.Errorf("key %d: last update %q, want %q", k, got, want)
		}
	}
}
