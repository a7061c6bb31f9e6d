package runtime

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/operator"
)

type sliceOutput[T any] struct{ got []T }

func (s *sliceOutput[T]) Collect(v T) error                      { s.got = append(s.got, v); return nil }
func (s *sliceOutput[T]) EmitWatermark(operator.Watermark) error { return nil }

// drain hands every queued buffer of gate to readers, as a consumer would.
func drain(t *testing.T, g *InputGate, r *frameReader) (events int) {
	t.Helper()
	for {
		e, ch, ok := g.poll()
		if !ok {
			return events
		}
		if e.buf == nil {
			events++
			continue
		}
		if err := r.process(e.buf.data); err != nil {
			t.Fatal(err)
		}
		ch.release(e.buf)
	}
}

func TestRecordsSpanBuffers(t *testing.T) {
	ctx := context.Background()
	c := codec.MustFor[string]()
	gate := NewInputGate()
	ch := gate.AddChannel(0, 64)
	pool := NewBufferPool(64, 64) // tiny segments: most records span several
	pw := NewPartitionWriter(ctx, pool, []*InputChannel{ch}, false)
	ti := operator.TypeOf(c)
	ow, err := ti.NewWriter(pw, graph.Edge{Partitioning: graph.Forward}, 128, 0, &operator.RecordContext{})
	if err != nil {
		t.Fatal(err)
	}
	w := ow.(operator.Output[string])
	out := &sliceOutput[string]{}
	r := &frameReader{dec: ti.NewDecoder(out, &operator.RecordContext{})}
	var want []string
	for i := 0; i < 300; i++ {
		s := strings.Repeat(string(rune('a'+i%26)), i) // 0 to 299 bytes; headers span too
		want = append(want, s)
		if err := w.Collect(s); err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 { // consume as we go so credits come back
			drain(t, gate, r)
		}
	}
	if err := pw.BroadcastEvent(EndOfPartition{}); err != nil {
		t.Fatal(err)
	}
	if n := drain(t, gate, r); n != 1 {
		t.Fatalf("%d events, want 1 end-of-partition", n)
	}
	if len(out.got) != len(want) {
		t.Fatalf("got %d records, want %d", len(out.got), len(want))
	}
	for i := range want {
		if out.got[i] != want[i] {
			t.Fatalf("record %d: got %d bytes, want %d", i, len(out.got[i]), len(want[i]))
		}
	}
	if pool.InUse() != 0 {
		t.Fatalf("%d buffers still in use after draining", pool.InUse())
	}
}

func TestCorruptBufferIsAnError(t *testing.T) {
	r := &frameReader{dec: operator.TypeOf(codec.MustFor[string]()).NewDecoder(&sliceOutput[string]{}, &operator.RecordContext{})}
	// Length 4: no timestamp, then a string whose own length prefix claims
	// 9 bytes.
	if err := r.process([]byte{4, 0, 9, 'a', 'b'}); err == nil {
		t.Fatal("corrupt record decoded without error")
	}
}

func TestSenderWaitsForCredit(t *testing.T) {
	gate := NewInputGate()
	ch := gate.AddChannel(0, 2)
	pool := NewBufferPool(3, 16)
	ctx, cancel := context.WithCancel(context.Background())
	for i := 0; i < 2; i++ {
		b, _ := pool.Request(ctx)
		b.data = append(b.data, 'x')
		if err := ch.SendBuffer(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	// send sends b in a goroutine and returns once the sender waits for a
	// credit; a send that returns first fails the test.
	done := make(chan error)
	send := func(b *Buffer) {
		var since atomic.Int64
		go func() { done <- ch.SendBufferMeasured(ctx, b, waitMeter{since: &since}) }()
		for since.Load() == 0 {
			select {
			case err := <-done:
				t.Fatalf("send returned %v without a credit", err)
			case <-time.After(time.Millisecond):
			}
		}
	}
	b, _ := pool.Request(ctx)
	send(b)
	// Consuming one buffer returns its credit and unblocks the sender.
	e, c, _ := gate.poll()
	c.release(e.buf)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// With no credit left, cancellation unblocks a waiting sender.
	b2, _ := pool.Request(ctx)
	send(b2)
	cancel()
	if err := <-done; err == nil {
		t.Fatal("send without credit returned nil after cancel")
	}
}

// TestBytesAndOutputWatermarkCounted: the writer adds each buffer's length
// to numBytesOut when it sends it, the gate input each buffer's length to
// numBytesIn when it reads it, and a broadcast watermark (not an idleness
// mark) becomes the output watermark.
func TestBytesAndOutputWatermarkCounted(t *testing.T) {
	ctx := context.Background()
	c := codec.MustFor[string]()
	gate := NewInputGate()
	ch := gate.AddChannel(0, 64)
	pool := NewBufferPool(64, 64)
	pw := NewPartitionWriter(ctx, pool, []*InputChannel{ch}, false)
	var bytesOut, outWM atomic.Int64
	outWM.Store(operator.MinWatermark)
	pw.bytesOut, pw.watermark = &bytesOut, &outWM
	ti := operator.TypeOf(c)
	ow, err := ti.NewWriter(pw, graph.Edge{Partitioning: graph.Forward}, 128, 0, &operator.RecordContext{})
	if err != nil {
		t.Fatal(err)
	}
	w := ow.(operator.Output[string])
	out := &sliceOutput[string]{}
	var records, bytesIn, inWM atomic.Int64
	gi := &gateInput{records: &records, bytes: &bytesIn, published: &inWM, gate: gate,
		readers: []*frameReader{{dec: ti.NewDecoder(out, &operator.RecordContext{})}},
		onEvent: func(int, Event) (bool, error) { return false, nil }}
	gi.initWatermarks(out)
	var sent int64
	for i := 0; i < 100; i++ {
		if err := w.Collect(strings.Repeat("x", i)); err != nil {
			t.Fatal(err)
		}
		if i%10 == 9 {
			if err := pw.Flush(); err != nil {
				t.Fatal(err)
			}
			for {
				res, err := gi.Step()
				if err != nil {
					t.Fatal(err)
				}
				if res == operator.StepNone {
					break
				}
			}
		}
	}
	for i := 0; i < 100; i++ {
		sent += int64(i) + 2 // the record, its uvarint length and timestamp flag at least
	}
	if len(out.got) != 100 || records.Load() != 100 {
		t.Fatalf("%d records decoded, %d counted, want 100", len(out.got), records.Load())
	}
	if bytesOut.Load() < sent || bytesIn.Load() != bytesOut.Load() {
		t.Fatalf("numBytesOut %d, numBytesIn %d; want equal and at least %d", bytesOut.Load(), bytesIn.Load(), sent)
	}
	if outWM.Load() != operator.MinWatermark {
		t.Fatalf("output watermark %d before any", outWM.Load())
	}
	if err := w.EmitWatermark(operator.Watermark{Time: 42}); err != nil {
		t.Fatal(err)
	}
	if err := w.EmitWatermark(operator.Watermark{Idle: true}); err != nil {
		t.Fatal(err)
	}
	if outWM.Load() != 42 {
		t.Fatalf("output watermark %d, want 42 (an idleness mark does not change it)", outWM.Load())
	}
}
