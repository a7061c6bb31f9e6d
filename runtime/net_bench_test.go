package runtime

import (
	"context"
	"testing"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/operator"
)

// benchmarkExchange moves b.N records of 100 bytes from a producer to a
// consumer over one channel with 32 KiB buffers and 2 credits: in memory,
// or over a TCP connection between two task managers' networks.
func benchmarkExchange(b *testing.B, tcp bool) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const segment = 32 << 10
	var ch *InputChannel
	gate := NewInputGate()
	var wait func()
	var errs chan error
	if tcp {
		p := newNetPair(b, "bench-1", 1, 2, segment)
		wait, errs = p.start(ctx)
		ch, gate = p.out[0], p.gate
		p.back.SendEvent(EndOfPartition{})
		defer func() { consume(ctx, p.backIn, &frameReader{}) }()
	} else {
		ch = gate.AddChannel(0, 2)
	}
	ti := operator.TypeOf(codec.MustFor[string]())
	pw := NewPartitionWriter(ctx, NewBufferPool(3, segment), []*InputChannel{ch}, false)
	w, err := ti.NewWriter(pw, graph.Edge{Partitioning: graph.Forward}, 128, 0, &operator.RecordContext{})
	if err != nil {
		b.Fatal(err)
	}
	out := w.(operator.Output[string])
	rec := string(make([]byte, 100))
	n := 0
	sink := &countOutput{n: &n}
	done := make(chan error, 1)
	go func() {
		_, err := consume(ctx, gate, &frameReader{dec: ti.NewDecoder(sink, &operator.RecordContext{})})
		done <- err
	}()
	b.SetBytes(100)
	b.ResetTimer()
	for range b.N {
		if err := out.Collect(rec); err != nil {
			b.Fatal(err)
		}
	}
	if err := pw.BroadcastEvent(EndOfPartition{}); err != nil {
		b.Fatal(err)
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if wait != nil {
		wait()
		select {
		case err := <-errs:
			b.Fatal(err)
		default:
		}
	}
	if n != b.N {
		b.Fatalf("%d records arrived, want %d", n, b.N)
	}
}

type countOutput struct{ n *int }

func (c *countOutput) Collect(string) error                   { *c.n++; return nil }
func (c *countOutput) EmitWatermark(operator.Watermark) error { return nil }

func BenchmarkExchangeInMemory(b *testing.B) { benchmarkExchange(b, false) }
func BenchmarkExchangeTCP(b *testing.B)      { benchmarkExchange(b, true) }
