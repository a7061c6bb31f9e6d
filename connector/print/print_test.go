package print

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/internal/testutil"
)

type pair struct {
	Word  string
	Count int
}

func TestPrefixes(t *testing.T) {
	tests := []struct {
		name        string
		opts        []Option
		format      func(pair) string
		parallelism int
		want        string
	}{
		{"parallelism 1", nil, nil, 1, "{hello 1}\n{world 2}\n"},
		{"parallelism 2", nil, nil, 2, "1> {hello 1}\n2> {world 2}\n"},
		{"formatted", nil, func(p pair) string { return fmt.Sprintf("%s,%d", p.Word, p.Count) }, 3, "1> hello,1\n2> world,2\n"},
		{"identifier", []Option{WithIdentifier("out")}, nil, 4, "out:1> {hello 1}\nout:2> {world 2}\n"},
		{"identifier parallelism 1", []Option{WithIdentifier("out")}, nil, 1, "out> {hello 1}\nout> {world 2}\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testutil.CheckGoroutines(t)
			var buf testutil.LockedBuffer
			s := New(&buf, tc.format, tc.opts...)
			var ws []connector.SinkWriter[pair]
			for i := range min(tc.parallelism, 2) {
				w, err := s.CreateWriter(connector.SinkContext{Subtask: i, Parallelism: tc.parallelism})
				if err != nil {
					t.Fatal(err)
				}
				ws = append(ws, w)
			}
			w1 := ws[len(ws)-1]
			if err := ws[0].Write(pair{"hello", 1}); err != nil {
				t.Fatal(err)
			}
			if err := w1.Write(pair{"world", 2}); err != nil {
				t.Fatal(err)
			}
			if err := ws[0].Flush(false); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tc.want {
				t.Errorf("output %q, want %q", got, tc.want)
			}
			for _, w := range ws {
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestNoInterleaving(t *testing.T) {
	testutil.CheckGoroutines(t)
	var buf testutil.LockedBuffer
	s := New[string](&buf, nil, WithFlushInterval(time.Millisecond))
	const writers, lines = 4, 300
	var wg sync.WaitGroup
	for i := range writers {
		w, err := s.CreateWriter(connector.SinkContext{Subtask: i, Parallelism: writers})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			defer w.Close()
			for j := range lines {
				rec := strings.Repeat(string(rune('a'+i)), 50+j%200)
				if err := w.Write(rec); err != nil {
					t.Error(err)
					return
				}
				if j%50 == 0 {
					w.Flush(false)
				}
			}
		})
	}
	wg.Wait()
	out := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(out) != writers*lines {
		t.Fatalf("%d lines, want %d", len(out), writers*lines)
	}
	for _, l := range out {
		prefix, rec, ok := strings.Cut(l, "> ")
		if !ok || len(prefix) != 1 {
			t.Fatalf("bad line %q", l)
		}
		c := string(rune('a' + prefix[0] - '1'))
		if strings.Trim(rec, c) != "" {
			t.Fatalf("interleaved line %q", l)
		}
	}
}

func TestBackgroundFlush(t *testing.T) {
	testutil.CheckGoroutines(t)
	var buf testutil.LockedBuffer
	s := New[int](&buf, nil, WithFlushInterval(5*time.Millisecond))
	w, err := s.CreateWriter(connector.SinkContext{Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Write(42)
	testutil.Await(t, 5*time.Second, func() bool { return buf.String() == "42\n" },
		func() string { return fmt.Sprintf("line not flushed in the background: %q", buf.String()) })
}

func TestWriteError(t *testing.T) {
	testutil.CheckGoroutines(t)
	r, wf, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // writes now fail with EPIPE
	defer wf.Close()
	s := New[string](wf, nil, WithFlushInterval(0))
	w, err := s.CreateWriter(connector.SinkContext{Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write("x"); err != nil {
		t.Fatal(err) // still buffered
	}
	err = w.Flush(false)
	want := "print sink: write " + wf.Name() + ": broken pipe"
	if err == nil || err.Error() != want {
		t.Errorf("Flush: err = %v, want %q", err, want)
	}
	if err := w.Close(); err != nil {
		t.Errorf("Close after a dropped buffer: %v", err)
	}
}

func TestDefaults(t *testing.T) {
	s := New[int](nil, nil)
	if s.w != os.Stdout || s.format(7) != "7" || s.opts.interval != DefaultFlushInterval {
		t.Errorf("defaults: %v %q %v", s.w, s.format(7), s.opts.interval)
	}
}
