package file

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/weirstream/weir/connector"
)

// The file source's pendingBytes are the bytes of its files after what it
// read: all of them at first, less each line (with its line end) fetched,
// 0 at the end; its pending records are unknown.
func TestPendingBytes(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a"), []byte("one\ntwo\nthree\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b"), []byte("four\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := NewSource(dir).CreateReader(connector.SourceContext{Subtask: 0, Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	p := r.(connector.PendingReporter)
	want := func(bytes int64) {
		t.Helper()
		if gr, gb := p.Pending(); gr != -1 || gb != bytes {
			t.Fatalf("pending %d records, %d bytes; want unknown records, %d bytes", gr, gb, bytes)
		}
	}
	want(19)
	if out, _, err := r.Fetch(context.Background(), make([]string, 0, 2)); err != nil || len(out) != 2 {
		t.Fatalf("fetch: %q, %v", out, err)
	}
	want(19 - 8) // "one\n", "two\n"
	for {
		_, _, err := r.Fetch(context.Background(), make([]string, 0, 2))
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	want(0)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}
