package socket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/internal/testutil"
)

// server accepts one connection on 127.0.0.1 and hands it to serve; the
// listener, the connection and the goroutine are cleaned up with the test.
func server(t *testing.T, serve func(c net.Conn)) (port int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	conns := make(chan net.Conn, 1)
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		conns <- c
		serve(c)
	}()
	t.Cleanup(func() {
		ln.Close()
		select {
		case c := <-conns:
			c.Close()
		default:
		}
		<-done
	})
	return ln.Addr().(*net.TCPAddr).Port
}

func open(t *testing.T, s *Source) connector.SourceReader[string] {
	t.Helper()
	r, err := s.CreateReader(connector.SourceContext{Subtask: 0, Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// readAll fetches until io.EOF with batches of at most capacity records.
func readAll(t *testing.T, r connector.SourceReader[string], capacity int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var all []string
	for {
		recs, pos, err := r.Fetch(ctx, make([]string, 0, capacity))
		if len(recs) > capacity {
			t.Fatalf("Fetch returned %d records for capacity %d", len(recs), capacity)
		}
		if pos != nil {
			t.Fatalf("socket position = %v, want nil", pos)
		}
		all = append(all, recs...)
		if err == io.EOF {
			return all
		}
		if err != nil {
			t.Fatalf("Fetch: %v", err)
		}
		if len(recs) == 0 {
			t.Fatal("Fetch returned no records and no error")
		}
	}
}

func TestRecords(t *testing.T) {
	big := strings.Repeat("x", 3*readBufferSize+17)
	tests := []struct {
		name  string
		delim string
		data  []string // written in separate chunks
		want  []string
	}{
		{"newline", "\n", []string{"a\nb\nc\n"}, []string{"a", "b", "c"}},
		{"default delimiter", "", []string{"a\nb\n"}, []string{"a", "b"}},
		{"crlf", "\n", []string{"a\r\nb\r\n"}, []string{"a", "b"}},
		{"inner cr kept", "\n", []string{"a\rb\n"}, []string{"a\rb"}},
		{"empty records", "\n", []string{"\n\nx\n"}, []string{"", "", "x"}},
		{"trailing partial", "\n", []string{"a\nbc"}, []string{"a", "bc"}},
		{"trailing partial keeps cr", "\n", []string{"a\r\nb\r"}, []string{"a", "b\r"}},
		{"nothing", "\n", nil, nil},
		{"custom delimiter", ";", []string{"a;b\n;c"}, []string{"a", "b\n", "c"}},
		{"cr not stripped for other delimiters", ";", []string{"a\r;b"}, []string{"a\r", "b"}},
		{"multi-byte delimiter", "||", []string{"a||b|c||||d"}, []string{"a", "b|c", "", "d"}},
		{"delimiter split across writes", "||", []string{"ab|", "|cd|", "|e"}, []string{"ab", "cd", "e"}},
		{"record split across writes", "\n", []string{"hel", "lo\nwor", "ld\n"}, []string{"hello", "world"}},
		{"record larger than the read buffer", "\n", []string{big + "\nend\n"}, []string{big, "end"}},
		{"large record multi-byte delimiter", "<>", []string{big + "<><>z"}, []string{big, "", "z"}},
	}
	for _, tc := range tests {
		for _, capacity := range []int{1, 2, 1000} {
			t.Run(fmt.Sprintf("%s/cap%d", tc.name, capacity), func(t *testing.T) {
				testutil.CheckGoroutines(t)
				port := server(t, func(c net.Conn) {
					for _, d := range tc.data {
						c.Write([]byte(d))
						time.Sleep(2 * time.Millisecond)
					}
					c.Close()
				})
				r := open(t, New("127.0.0.1", port, tc.delim))
				got := readAll(t, r, capacity)
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("records = %q, want %q", short(got), short(tc.want))
				}
				// After the end, Fetch keeps returning io.EOF.
				if _, _, err := r.Fetch(context.Background(), make([]string, 0, 1)); err != io.EOF {
					t.Errorf("Fetch after end: err = %v, want io.EOF", err)
				}
			})
		}
	}
}

func short(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		if len(v) > 20 {
			v = v[:10] + "..." + v[len(v)-5:]
		}
		out[i] = v
	}
	return out
}

func TestBatchReturnsWithoutFillingCapacity(t *testing.T) {
	testutil.CheckGoroutines(t)
	release := make(chan struct{})
	port := server(t, func(c net.Conn) {
		c.Write([]byte("a\nb\npart"))
		<-release
		c.Write([]byte("ial\n"))
		c.Close()
	})
	r := open(t, New("127.0.0.1", port, "\n"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var got []string
	for len(got) < 2 {
		recs, _, err := r.Fetch(ctx, make([]string, 0, 1000))
		if err != nil {
			close(release)
			t.Fatalf("Fetch: %v (got %q)", err, got)
		}
		got = append(got, recs...)
	}
	close(release)
	if !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("first records = %q", got)
	}
	if rest := readAll(t, r, 1000); !reflect.DeepEqual(rest, []string{"partial"}) {
		t.Errorf("rest = %q", rest)
	}
}

func TestCancelUnblocksFetch(t *testing.T) {
	testutil.CheckGoroutines(t)
	more := make(chan struct{})
	port := server(t, func(c net.Conn) {
		c.Write([]byte("hel"))
		<-more
		c.Write([]byte("lo\n"))
		c.Close()
	})
	r := open(t, New("127.0.0.1", port, "\n"))

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	recs, _, err := r.Fetch(ctx, make([]string, 0, 10))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Fetch err = %v, want context.Canceled", err)
	}
	if len(recs) != 0 {
		t.Errorf("records = %q", recs)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Fetch took %v to notice cancellation", d)
	}

	// An already-cancelled context returns at once.
	if _, _, err := r.Fetch(ctx, make([]string, 0, 10)); !errors.Is(err, context.Canceled) {
		t.Errorf("Fetch with cancelled ctx: err = %v", err)
	}

	// The bytes read before the cancellation are not lost.
	close(more)
	if got := readAll(t, r, 10); !reflect.DeepEqual(got, []string{"hello"}) {
		t.Errorf("after cancel: records = %q, want [hello]", got)
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	_, err = New("127.0.0.1", port, "\n").CreateReader(connector.SourceContext{Parallelism: 1})
	want := "socket source: cannot connect to 127.0.0.1:" + strconv.Itoa(port) + ": connection refused"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("errors.Is(err, ECONNREFUSED) = false")
	}
}

func TestRefusesParallelism(t *testing.T) {
	_, err := New("127.0.0.1", 1, "\n").CreateReader(connector.SourceContext{Subtask: 1, Parallelism: 2})
	if err == nil || !strings.Contains(err.Error(), "not parallel") || !strings.Contains(err.Error(), "parallelism 2") {
		t.Fatalf("err = %v, want a parallelism error", err)
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	testutil.CheckGoroutines(t)
	port := server(t, func(c net.Conn) {})
	r, err := New("127.0.0.1", port, "\n").CreateReader(connector.SourceContext{Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}
