// Command bigstate is a test job, run by the root package's
// TestStateLargerThanMemory in a child process (built without the race
// detector, which would make its 660 000 state operations take minutes):
// it writes n keys of 1 KiB of keyed state, then reads every key back and
// checks it, and prints the counts and its peak resident memory.
//
//	bigstate N hashmap|pebble LOCALDIR
//
// Run it with a GOMEMLIMIT well below N KiB to show that the pebble backend
// holds state larger than the process's memory and the heap backend stops
// with the budget's message.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/connector/discard"
)

type update struct{ Key, Phase int64 }

// payload is 1 KiB of pseudo-random bytes, a function of the key.
func payload(key int64) []byte {
	r := rand.New(rand.NewPCG(uint64(key), 1))
	b := make([]byte, 1024)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// source writes keys 0..n-1 (phase 1), then asks for them all back
// (phase 2), generated on the fly so the input takes no memory.
type source struct{ n int64 }

func (s source) CreateReader(weir.SourceContext) (weir.SourceReader[update], error) {
	return &reader{n: s.n}, nil
}

type reader struct{ n, i int64 }

func (r *reader) Fetch(_ context.Context, buf []update) ([]update, [][]byte, error) {
	for len(buf) < cap(buf) && r.i < 2*r.n {
		if r.i < r.n {
			buf = append(buf, update{Key: r.i, Phase: 1})
		} else {
			buf = append(buf, update{Key: r.i - r.n, Phase: 2})
		}
		r.i++
	}
	if r.i == 2*r.n {
		return buf, nil, io.EOF
	}
	return buf, nil, nil
}

func (r *reader) Close() error { return nil }

type store struct {
	v         weir.ValueState[[]byte]
	good, bad *atomic.Int64
}

func (w *store) Open(ctx *weir.OpenContext[int64]) (err error) {
	w.v, err = weir.NewValueState[[]byte](ctx, "blob")
	return err
}

func (w *store) ProcessElement(_ *weir.Context[int64], u update, _ weir.Collector[int64]) error {
	if u.Phase == 1 {
		return w.v.Update(payload(u.Key))
	}
	got, ok, err := w.v.Value()
	if err != nil {
		return err
	}
	if ok && bytes.Equal(got, payload(u.Key)) {
		w.good.Add(1)
	} else {
		w.bad.Add(1)
	}
	return nil
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: bigstate N hashmap|pebble LOCALDIR")
		os.Exit(2)
	}
	n, err := strconv.ParseInt(os.Args[1], 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bigstate:", err)
		os.Exit(2)
	}
	if err := run(n, os.Args[2], os.Args[3]); err != nil {
		fmt.Fprintln(os.Stderr, "weir:", err)
		os.Exit(1)
	}
}

func run(n int64, backend, localDir string) error {
	var good, bad atomic.Int64
	e := weir.NewEnvironment(nil)
	for _, kv := range []string{"parallelism.default=1", "state.backend.type=" + backend,
		"state.backend.rocksdb.localdir=" + localDir, "state.backend.rocksdb.writebuffer.size=4mb",
		"state.backend.rocksdb.block.cache-size=8mb", "state.backend.pebble.state-cache.size=4mb"} {
		k, v, _ := strings.Cut(kv, "=")
		if err := e.Config().Set(k, v); err != nil {
			return err
		}
	}
	s := weir.FromSource(e, weir.Source[update](source{n: n}), "Keys")
	weir.Process(weir.KeyBy(s, func(u update) int64 { return u.Key }), func() weir.KeyedProcessFunction[int64, update, int64] {
		return &store{good: &good, bad: &bad}
	}).Name("Store").SinkTo(discard.New[int64](), "Discard")
	if err := e.Execute(context.Background(), "bigstate"); err != nil {
		return err
	}
	status, _ := os.ReadFile("/proc/self/status")
	fmt.Printf("good=%d bad=%d\npeak=%d\n", good.Load(), bad.Load(), vmHWM(string(status)))
	return nil
}

// vmHWM is the peak resident set in bytes from /proc/self/status.
func vmHWM(status string) int64 {
	for line := range strings.SplitSeq(status, "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n << 10
			}
		}
	}
	return 0
}
