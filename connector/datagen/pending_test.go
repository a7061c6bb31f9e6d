package datagen

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/weirstream/weir/connector"
)

// A bounded reader's pending records are the indices of its split not
// generated yet (subtask 0 of 3 over 10 records owns 0, 3, 6, 9); an
// unbounded one's are unknown.
func TestPendingRecords(t *testing.T) {
	src := New(10, 1, func(i int64, _ uint64) int64 { return i })
	r, err := src.CreateReader(connector.SourceContext{Subtask: 0, Parallelism: 3})
	if err != nil {
		t.Fatal(err)
	}
	p := r.(connector.PendingReporter)
	pending := func() int64 {
		recs, bytes := p.Pending()
		if bytes != -1 {
			t.Fatalf("pendingBytes %d, want unknown", bytes)
		}
		return recs
	}
	if got := pending(); got != 4 {
		t.Fatalf("pending at the start: %d, want 4", got)
	}
	if out, _, err := r.Fetch(context.Background(), make([]int64, 0, 3)); err != nil || len(out) != 3 || pending() != 1 {
		t.Fatalf("after %v (%v): %d pending, want 1", out, err, pending())
	}
	if _, _, err := r.Fetch(context.Background(), make([]int64, 0, 3)); !errors.Is(err, io.EOF) || pending() != 0 {
		t.Fatalf("at the end (%v): %d pending, want 0", err, pending())
	}

	u, _ := New(-1, 1, func(i int64, _ uint64) int64 { return i }).CreateReader(connector.SourceContext{Parallelism: 1})
	if recs, bytes := u.(connector.PendingReporter).Pending(); recs != -1 || bytes != -1 {
		t.Fatalf("unbounded: %d records, %d bytes pending, want unknown", recs, bytes)
	}
}
