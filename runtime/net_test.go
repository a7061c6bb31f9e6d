package runtime

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/internal/testutil"
	"github.com/weirstream/weir/operator"
)

// netPair is two task managers' networks for one attempt, with channels
// from a producer on task manager 0 to a consumer on task manager 1 (and,
// with back, one channel the other way).
type netPair struct {
	servers [2]*DataServer
	nets    [2]*Network
	out     []*InputChannel // producer's ends, on task manager 0
	gate    *InputGate      // consumer's gate, on task manager 1
	back    *InputChannel   // producer's end of the channel 1 -> 0
	backIn  *InputGate
}

func newNetPair(t testing.TB, attempt string, channels, credits, segment int) *netPair {
	t.Helper()
	p := &netPair{}
	for i := range p.servers {
		s, err := ListenData("127.0.0.1:0", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		p.servers[i] = s
	}
	peers := []string{p.servers[0].Addr(), p.servers[1].Addr()}
	for i := range p.nets {
		n, err := NewNetwork(NetworkConfig{Attempt: attempt, Self: i, Peers: peers, Server: p.servers[i], Place: func(_, s int) int { return s },
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(n.Close)
		p.nets[i] = n
	}
	p.gate = NewInputGate()
	for c := range channels {
		key := channelKey{node: 1, input: 0, from: c, to: 0}
		p.out = append(p.out, p.nets[0].outbound(1, key, credits))
		p.nets[1].inbound(0, key, p.gate.AddChannel(0, 0), credits, segment)
	}
	p.backIn = NewInputGate()
	backKey := channelKey{node: 2, input: 0, from: 0, to: 0}
	p.back = p.nets[1].outbound(0, backKey, credits)
	p.nets[0].inbound(1, backKey, p.backIn.AddChannel(0, 0), credits, segment)
	for _, n := range p.nets {
		n.seal()
	}
	return p
}

// start runs both networks until they drain; errs gets each one's first
// failure.
func (p *netPair) start(ctx context.Context) (wait func(), errs chan error) {
	errs = make(chan error, 2)
	for _, n := range p.nets {
		n.start(ctx, func(err error) { errs <- err })
	}
	return func() {
		for _, n := range p.nets {
			n.wait()
		}
	}, errs
}

// consume takes every element of gate, as a subtask would, until each of
// its channels ended: the records through r, the events into events.
func consume(ctx context.Context, g *InputGate, r *frameReader) (events []string, err error) {
	ended := 0
	for ended < g.NumChannels() {
		e, ch, ok := g.poll()
		if !ok {
			select {
			case <-g.notify:
				continue
			case <-ctx.Done():
				return events, ctx.Err()
			}
		}
		if e.buf != nil {
			err := r.process(e.buf.data)
			ch.release(e.buf)
			if err != nil {
				return events, err
			}
			continue
		}
		events = append(events, fmt.Sprintf("%d:%v", ch.index, e.ev))
		if _, ok := e.ev.(EndOfPartition); ok {
			ended++
		}
	}
	return events, nil
}

// Records of every size (spanning buffers too), watermarks, barriers and
// the end of partition cross the connection in order, per channel.
func TestNetworkCarriesRecordsAndEventsInOrder(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p := newNetPair(t, "a-1", 3, 2, 256)
	wait, errs := p.start(ctx)

	ti := operator.TypeOf(codec.MustFor[string]())
	var writers []operator.Output[string]
	var pws []*PartitionWriter
	for _, ch := range p.out {
		pw := NewPartitionWriter(ctx, NewBufferPool(3, 256), []*InputChannel{ch}, false)
		w, err := ti.NewWriter(pw, graph.Edge{Partitioning: graph.Forward}, 128, 0, &operator.RecordContext{})
		if err != nil {
			t.Fatal(err)
		}
		writers = append(writers, w.(operator.Output[string]))
		pws = append(pws, pw)
	}
	out := &sliceOutput[string]{}
	r := &frameReader{dec: ti.NewDecoder(out, &operator.RecordContext{})}
	type result struct {
		events []string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		ev, err := consume(ctx, p.gate, r)
		done <- result{ev, err}
	}()
	var want []string
	for i := range 3000 {
		s := strings.Repeat(string(rune('a'+i%26)), i%700) // up to 699 bytes: many span segments of 256
		want = append(want, s)
		if err := writers[0].Collect(s); err != nil { // channel 0 only, so the order is total
			t.Fatal(err)
		}
		if i == 1000 {
			if err := pws[0].BroadcastWatermark(operator.Watermark{Time: 42}); err != nil {
				t.Fatal(err)
			}
			if err := pws[0].BroadcastEvent(CheckpointBarrier{ID: 7, Timestamp: time.Unix(0, 99)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := pws[1].BroadcastWatermark(operator.Watermark{Time: -5, Idle: true}); err != nil {
		t.Fatal(err)
	}
	for _, pw := range pws {
		if err := pw.BroadcastEvent(EndOfPartition{}); err != nil {
			t.Fatal(err)
		}
	}
	p.back.SendEvent(EndOfPartition{})
	if _, err := consume(ctx, p.backIn, &frameReader{}); err != nil {
		t.Fatal(err)
	}
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	wait()
	select {
	case err := <-errs:
		t.Fatalf("network failed: %v", err)
	default:
	}
	if len(out.got) != len(want) {
		t.Fatalf("got %d records, want %d", len(out.got), len(want))
	}
	for i := range want {
		if out.got[i] != want[i] {
			t.Fatalf("record %d: got %d bytes, want %d", i, len(out.got[i]), len(want[i]))
		}
	}
	got := map[string]bool{}
	for _, e := range res.events {
		got[e] = true
	}
	for _, e := range []string{"0:{42 false}", "0:{7 1970-01-01 00:00:00.000000099 +0000 UTC}", "1:{-5 true}", "0:{}", "1:{}", "2:{}"} {
		if !got[e] {
			t.Errorf("event %s not received; got %q", e, res.events)
		}
	}
	for i, pw := range pws {
		if n := pw.pool.InUse(); n != 0 {
			t.Errorf("producer %d: %d buffers still in use", i, n)
		}
	}
}

// A consumer that takes nothing stops its producer on another task
// manager after the channel's credits: memory stays bounded by the pools
// on both sides, and the wait counts as back pressure.
func TestNetworkBackpressureBoundsMemory(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const credits, poolSize, segment = 2, 3, 128
	p := newNetPair(t, "a-1", 1, credits, segment)
	wait, _ := p.start(ctx)
	defer func() {
		cancel()
		wait()
	}()
	pw := NewPartitionWriter(ctx, NewBufferPool(poolSize, segment), p.out, false)
	wrote := make(chan int, 1)
	go func() {
		n := 0
		for ; n < 100; n++ {
			if err := pw.Write(0, make([]byte, segment-2)); err != nil { // one buffer each
				break
			}
		}
		wrote <- n
	}()
	// The producer can fill the consumer's credits and its own pool, no
	// more: then it waits for credit.
	testutil.Await(t, 10*time.Second, func() bool { return pw.bpSince.Load() != 0 },
		func() string { return "the producer never waited for credit" })
	in := p.nets[1].peers[0].in[0]
	if got := in.pool.InUse(); got > credits {
		t.Fatalf("consumer holds %d buffers, more than its %d credits", got, credits)
	}
	if got := pw.pool.InUse(); got > poolSize {
		t.Fatalf("producer holds %d buffers of a pool of %d", got, poolSize)
	}
	cancel()
	if n := <-wrote; n >= 100 {
		t.Fatalf("producer wrote all %d buffers into a consumer that took none", n)
	}
}

// A task manager still running an earlier attempt cannot connect to the
// current one: its handshake is refused, with a reason naming the attempt.
func TestNetworkRefusesAnotherAttempt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cur := newNetPair(t, "job-2", 1, 2, 256)
	// A stale network of attempt 1 on task manager 1, dialing task manager
	// 0, which runs attempt 2 only.
	s, err := ListenData("127.0.0.1:0", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	stale, err := NewNetwork(NetworkConfig{Attempt: "job-1", Self: 1, Peers: []string{cur.servers[0].Addr(), s.Addr()}, Server: s,
		Place: func(_, s int) int { return s }})
	if err != nil {
		t.Fatal(err)
	}
	defer stale.Close()
	stale.inbound(0, channelKey{node: 1, from: 0}, NewInputGate().AddChannel(0, 0), 2, 256)
	stale.seal()
	var mu sync.Mutex
	var got error
	stale.start(ctx, func(err error) {
		mu.Lock()
		got = err
		mu.Unlock()
	})
	stale.wait()
	mu.Lock()
	defer mu.Unlock()
	if !errors.Is(got, ErrDataConnection) || !strings.Contains(got.Error(), `does not run attempt "job-1"`) {
		t.Fatalf("stale attempt's connection: %v, want ErrDataConnection naming the attempt", got)
	}
	_ = cur
}

// A connection that breaks while the attempt needs it fails the attempt
// with ErrDataConnection, naming the peer.
func TestNetworkLossFailsTheAttempt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p := newNetPair(t, "a-1", 1, 2, 256)
	_, errs := p.start(ctx)
	// Task manager 1 goes away (its connections close) before any channel
	// ended.
	testutil.Await(t, 10*time.Second, func() bool {
		pc := p.nets[1].peers[0]
		pc.mu.Lock()
		defer pc.mu.Unlock()
		return pc.mu.conn != nil
	}, func() string { return "never connected" })
	p.nets[1].Close()
	// Task manager 0 sees its peer's connection close before the channels
	// ended.
	var got []error
	for len(got) < 2 {
		select {
		case err := <-errs:
			got = append(got, err)
		case <-ctx.Done():
			t.Fatalf("failures reported: %v", got)
		}
		if err := got[len(got)-1]; errors.Is(err, ErrDataConnection) && strings.Contains(err.Error(), "task manager 1 at "+p.servers[1].Addr()) {
			break
		}
	}
	cancel()
	for _, n := range p.nets {
		n.wait()
	}
}

func tlsConfig(t *testing.T, c testutil.CertFiles) *tls.Config {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(c.Cert, c.Key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(c.CA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	return &tls.Config{Certificates: []tls.Certificate{pair}, RootCAs: pool, ClientCAs: pool,
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS13}
}

// With TLS, data connections are mutual TLS: peers with certificates of
// the trusted authority exchange records; a peer whose certificate another
// authority signed cannot connect (ErrDataConnection, naming the TLS
// handshake).
func TestNetworkMutualTLS(t *testing.T) {
	dir := t.TempDir()
	issue := testutil.Authority(t, dir, "cluster")
	for _, tc := range []struct {
		name    string
		dialer  testutil.CertFiles
		refused bool
	}{
		{"trusted", issue(), false},
		{"stranger", testutil.Authority(t, dir, "stranger")(), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			acceptor, err := ListenData("127.0.0.1:0", tlsConfig(t, issue()), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer acceptor.Close()
			dialer, err := ListenData("127.0.0.1:0", tlsConfig(t, tc.dialer), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer dialer.Close()
			peers := []string{acceptor.Addr(), dialer.Addr()}
			place := func(_, s int) int { return s }
			a, err := NewNetwork(NetworkConfig{Attempt: "a-1", Self: 0, Peers: peers, Server: acceptor, TLS: tlsConfig(t, issue()), Place: place})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			d, err := NewNetwork(NetworkConfig{Attempt: "a-1", Self: 1, Peers: peers, Server: dialer, TLS: tlsConfig(t, tc.dialer), Place: place})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			key := channelKey{node: 1, from: 1, to: 0}
			gate := NewInputGate()
			a.inbound(1, key, gate.AddChannel(0, 0), 2, 256)
			out := d.outbound(0, key, 2)
			a.seal()
			d.seal()
			errs := make(chan error, 2)
			a.start(ctx, func(err error) { errs <- err })
			d.start(ctx, func(err error) { errs <- err })
			if tc.refused {
				select {
				case err := <-errs:
					if !errors.Is(err, ErrDataConnection) {
						t.Fatalf("got %v, want ErrDataConnection", err)
					}
				case <-ctx.Done():
					t.Fatal("a dialer with a stranger's certificate was not refused")
				}
				cancel()
				a.wait()
				d.wait()
				return
			}
			ti := operator.TypeOf(codec.MustFor[string]())
			pw := NewPartitionWriter(ctx, NewBufferPool(3, 256), []*InputChannel{out}, false)
			w, err := ti.NewWriter(pw, graph.Edge{Partitioning: graph.Forward}, 128, 0, &operator.RecordContext{})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.(operator.Output[string]).Collect("over TLS"); err != nil {
				t.Fatal(err)
			}
			if err := pw.BroadcastEvent(EndOfPartition{}); err != nil {
				t.Fatal(err)
			}
			got := &sliceOutput[string]{}
			if _, err := consume(ctx, gate, &frameReader{dec: ti.NewDecoder(got, &operator.RecordContext{})}); err != nil {
				t.Fatal(err)
			}
			a.wait()
			d.wait()
			if len(got.got) != 1 || got.got[0] != "over TLS" {
				t.Fatalf("received %q over TLS, want [over TLS]", got.got)
			}
		})
	}
}
