package weir_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/internal/testutil"
)

// countingSource emits n copies of a record and counts what it fetched.
type countingSource struct {
	n       int
	rec     string
	fetched *atomic.Int64
}

func (s countingSource) CreateReader(weir.SourceContext) (weir.SourceReader[string], error) {
	return &countingReader{s: s}, nil
}

type countingReader struct {
	s    countingSource
	done int
}

func (r *countingReader) Fetch(_ context.Context, buf []string) ([]string, [][]byte, error) {
	k := min(cap(buf)-len(buf), r.s.n-r.done)
	for i := 0; i < k; i++ {
		buf = append(buf, r.s.rec)
	}
	r.done += k
	r.s.fetched.Add(int64(k))
	if r.done == r.s.n {
		return buf, nil, io.EOF
	}
	return buf, nil, nil
}
func (r *countingReader) Close() error { return nil }

// heldSink blocks every writer until release is closed.
type heldSink struct {
	release chan struct{}
	n       atomic.Int64
}

func (s *heldSink) CreateWriter(weir.SinkContext) (weir.SinkWriter[string], error) { return s, nil }
func (s *heldSink) Write(string) error {
	<-s.release
	s.n.Add(1)
	return nil
}
func (s *heldSink) Flush(bool) error { return nil }
func (s *heldSink) Close() error     { return nil }

func TestSlowSinkBackpressuresWithBoundedBuffers(t *testing.T) {
	defer goleak.VerifyNone(t)
	const records, recLen = 200000, 100
	e := env(t, "taskmanager.memory.segment-size=4kb", "taskmanager.network.memory.buffers-per-channel=2")
	fetched := &atomic.Int64{}
	src := weir.FromSource(e, countingSource{n: records, rec: strings.Repeat("x", recLen), fetched: fetched}, "Gen")
	sink := &heldSink{release: make(chan struct{})}
	src.Rebalance().SinkTo(sink, "Held").SetParallelism(2)
	job, err := e.Build(context.Background(), "backpressure")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- job.Run() }()
	released := false
	release := func() {
		if !released {
			released = true
			close(sink.release)
		}
	}
	defer func() { // on failure, let the job end before the leak check
		release()
		<-done
	}()

	// Await the stall: the producer's pool fully in use.
	pool := job.Pools()[0]
	testutil.Await(t, 10*time.Second, func() bool { return pool.InUse() >= pool.Capacity() },
		func() string {
			return fmt.Sprintf("producer never stalled: %d of %d buffers in use", pool.InUse(), pool.Capacity())
		})
	stalledAt := fetched.Load()
	// Everything the source fetched sits in the pool's buffers, the
	// consumer's hands (one record per writer), or the source's batches:
	// one being emitted, two queued, one the fetcher holds (1024 each).
	perBuffer := 4096 / (recLen + 2)
	bound := int64(pool.Capacity()*(perBuffer+1) + 2 + 4*1024)
	if stalledAt > bound {
		t.Fatalf("source fetched %d records while the sink was held; bounded buffers allow at most %d", stalledAt, bound)
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	done <- nil // for the deferred wait
	if got := sink.n.Load(); got != records {
		t.Fatalf("sink got %d records, want %d", got, records)
	}
	for i, p := range job.Pools() {
		if p.Peak() > p.Capacity() {
			t.Fatalf("pool %d peaked at %d buffers, capacity %d", i, p.Peak(), p.Capacity())
		}
	}
	t.Logf("stalled after %d of %d records with %d buffers of 4 KiB", stalledAt, records, pool.Capacity())
}
