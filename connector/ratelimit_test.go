package connector

import (
	"context"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/internal/testutil"
)

// fakeClock advances only when the limiter sleeps.
type fakeClock struct {
	t      time.Time
	slept  time.Duration
	sleeps int
}

func (c *fakeClock) now() time.Time { return c.t }

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.t = c.t.Add(d)
	c.slept += d
	c.sleeps++
	return nil
}

func index(i int64) int64 { return i }

// seqSource is a small stand-in for datagen (which imports this package):
// the records gen(n) for n in [0, count) (every n >= 0 when count < 0),
// subtask i of p taking n = i, i+p, ...; each batch's position is one
// entry, the next n.
type seqSource struct {
	count int64
	gen   func(int64) int64
}

func newSeq(count int64, gen func(int64) int64) *seqSource { return &seqSource{count, gen} }

func (s *seqSource) CreateReader(ctx SourceContext) (SourceReader[int64], error) {
	if s.gen == nil {
		return nil, errors.New("seq: nil generator function")
	}
	return &seqReader{src: s, next: int64(ctx.Subtask), stride: int64(max(ctx.Parallelism, 1))}, nil
}

type seqReader struct {
	src          *seqSource
	next, stride int64
}

func (r *seqReader) Fetch(_ context.Context, buf []int64) ([]int64, [][]byte, error) {
	for len(buf) < cap(buf) && (r.src.count < 0 || r.next < r.src.count) {
		buf = append(buf, r.src.gen(r.next))
		r.next += r.stride
	}
	pos := [][]byte{[]byte(strconv.FormatInt(r.next, 10))}
	if r.src.count >= 0 && r.next >= r.src.count {
		return buf, pos, io.EOF
	}
	return buf, pos, nil
}

func (r *seqReader) Close() error { return nil }

func TestRateLimitFakeClock(t *testing.T) {
	tests := []struct {
		name        string
		perSecond   float64
		parallelism int
		records     int64 // per subtask
		capacity    int
		maxBatch    int // largest batch the bucket allows
	}{
		{"slow", 10, 1, 30, 100, 1},
		{"divided among subtasks", 100, 4, 50, 100, 1},
		{"fast", 100000, 1, 20000, 4096, 2000},
		{"small buffers", 100000, 2, 5000, 16, 16},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := &fakeClock{t: time.Unix(1000, 0)}
			p := tc.parallelism
			src := &rateLimited[int64]{src: newSeq(tc.records*int64(p), index), perSecond: tc.perSecond, clk: clk}
			// Every subtask reads, in turn: they share the rate.
			readers := make([]SourceReader[int64], p)
			next := make([]int64, p)
			for i := range readers {
				r, err := src.CreateReader(SourceContext{Subtask: i, Parallelism: p})
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				readers[i], next[i] = r, int64(i)
			}
			n := make([]int64, p)
			for live := p; live > 0; {
				for i, r := range readers {
					if r == nil {
						continue
					}
					recs, pos, err := r.Fetch(context.Background(), make([]int64, 0, tc.capacity))
					if len(recs) > tc.maxBatch {
						t.Fatalf("batch of %d records, bucket allows %d", len(recs), tc.maxBatch)
					}
					for _, v := range recs {
						if v != next[i] {
							t.Fatalf("subtask %d: record %d, want %d", i, v, next[i])
						}
						next[i] += int64(p)
					}
					n[i] += int64(len(recs))
					if len(pos) != 1 {
						t.Fatalf("position %v not passed through", pos)
					}
					if err == io.EOF {
						readers[i] = nil
						live--
						continue
					}
					if err != nil {
						t.Fatal(err)
					}
				}
			}
			for i := range n {
				if n[i] != tc.records {
					t.Fatalf("subtask %d: %d records, want %d", i, n[i], tc.records)
				}
			}
			// Starting from an empty bucket, n records per subtask take
			// n/(rate/p) seconds: each subtask reads at rate/p.
			want := time.Duration(float64(tc.records) / (tc.perSecond / float64(p)) * float64(time.Second))
			if d := clk.slept - want; d < -want/100-time.Millisecond || d > want/100+time.Millisecond {
				t.Errorf("slept %v for %d records per subtask, want about %v", clk.slept, tc.records, want)
			}
		})
	}
}

// oneSplit is a source whose input is one split: subtask 0 reads the
// records 0, 1, ..., count-1; the others have nothing to read (a file
// source with more subtasks than files).
type oneSplit struct{ count int64 }

func (s oneSplit) CreateReader(ctx SourceContext) (SourceReader[int64], error) {
	r := &seqReader{src: newSeq(s.count, index), stride: 1}
	if ctx.Subtask != 0 {
		r.next = s.count // ends at the first Fetch, with no record
	}
	return r, nil
}

// The rate is the job's total: a subtask without input leaves its share to
// the one with input (issue 18: --rate N at parallelism 2 over one file
// gave N/2 lines a second).
func TestRateLimitIdleSubtaskLeavesItsShare(t *testing.T) {
	const perSecond, records = 100, 300
	for _, p := range []int{2, 4} {
		clk := &fakeClock{t: time.Unix(1000, 0)}
		src := &rateLimited[int64]{src: oneSplit{records}, perSecond: perSecond, clk: clk}
		readers := make([]SourceReader[int64], p)
		for i := range readers {
			r, err := src.CreateReader(SourceContext{Subtask: i, Parallelism: p})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			readers[i] = r
		}
		// The subtasks without input fetch first: they take tokens, get
		// nothing, and must give them back.
		for i := 1; i < p; i++ {
			if recs, _, err := readers[i].Fetch(context.Background(), make([]int64, 0, 100)); len(recs) != 0 || err != io.EOF {
				t.Fatalf("p=%d: subtask %d fetched %v, %v; want nothing and io.EOF", p, i, recs, err)
			}
		}
		var n int64
		for {
			recs, _, err := readers[0].Fetch(context.Background(), make([]int64, 0, 100))
			n += int64(len(recs))
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		want := time.Duration(records / perSecond * float64(time.Second))
		if n != records || clk.slept < want-want/100 || clk.slept > want+want/100 {
			t.Errorf("p=%d: %d records in %v, want %d records in %v (%d a second in total)", p, n, clk.slept, records, want, perSecond)
		}
	}
}

// Busy subtasks on their own goroutines share the rate: the total is the
// rate asked for.
func TestRateLimitConcurrentSubtasks(t *testing.T) {
	testutil.CheckGoroutines(t)
	const p, perSubtask, perSecond = 4, 100, 2000
	src := RateLimit(newSeq(p*perSubtask, index), perSecond)
	start := time.Now()
	errs := make(chan error, p)
	counts := make(chan int, p)
	for i := 0; i < p; i++ {
		r, err := src.CreateReader(SourceContext{Subtask: i, Parallelism: p})
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			defer r.Close()
			n := 0
			for {
				recs, _, err := r.Fetch(context.Background(), make([]int64, 0, 64))
				n += len(recs)
				if err == io.EOF {
					counts <- n
					errs <- nil
					return
				}
				if err != nil {
					counts <- n
					errs <- err
					return
				}
			}
		}()
	}
	total := 0
	for i := 0; i < p; i++ {
		total += <-counts
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// 400 records at 2000 a second: 200ms, less the first batch's worth.
	el := time.Since(start)
	if total != p*perSubtask || el < 150*time.Millisecond || el > 10*time.Second {
		t.Errorf("%d records in %v, want %d in about 200ms", total, el, p*perSubtask)
	}
}

func TestRateLimitRealTime(t *testing.T) {
	testutil.CheckGoroutines(t)
	r, err := RateLimit(newSeq(200, index), 1000).CreateReader(SourceContext{Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	start := time.Now()
	n := 0
	for {
		recs, _, err := r.Fetch(context.Background(), make([]int64, 0, 1000))
		n += len(recs)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	el := time.Since(start)
	if n != 200 || el < 150*time.Millisecond || el > 10*time.Second {
		t.Errorf("%d records in %v, want 200 in about 200ms", n, el)
	}
}

func TestRateLimitCancel(t *testing.T) {
	testutil.CheckGoroutines(t)
	r, err := RateLimit(newSeq(-1, index), 0.01).CreateReader(SourceContext{Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	recs, _, err := r.Fetch(ctx, make([]int64, 0, 10))
	if !errors.Is(err, context.Canceled) || len(recs) != 0 {
		t.Errorf("Fetch = %v, %v; want context.Canceled", recs, err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("cancellation took %v", el)
	}
}

func TestRateLimitArguments(t *testing.T) {
	for _, rate := range []float64{0, -1, math.NaN()} {
		_, err := RateLimit(newSeq(1, index), rate).CreateReader(SourceContext{Parallelism: 1})
		if err == nil || !strings.Contains(err.Error(), "rate must be positive") {
			t.Errorf("rate %v: err = %v", rate, err)
		}
	}
	r, err := RateLimit(newSeq(3, index), math.Inf(1)).CreateReader(SourceContext{Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	if recs, _, err := r.Fetch(context.Background(), make([]int64, 0, 10)); len(recs) != 3 || err != io.EOF {
		t.Errorf("unlimited: %v, %v", recs, err)
	}
	// Errors of the inner source pass through.
	_, err = RateLimit(newSeq(1, nil), 5).CreateReader(SourceContext{Parallelism: 1})
	if err == nil || !strings.Contains(err.Error(), "nil generator") {
		t.Errorf("inner error: %v", err)
	}
}
