package nexmark

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/weirstream/weir/connector"
)

// A bounded reader's pending records are its splits' events not generated
// yet: all of its share at first, falling with each fetch, 0 at the end;
// an unbounded one's are unknown.
func TestPendingRecords(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Events = 1001
	src, err := NewSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for sub := range 2 {
		r, err := src.CreateReader(connector.SourceContext{Subtask: sub, Parallelism: 2})
		if err != nil {
			t.Fatal(err)
		}
		p := r.(connector.PendingReporter)
		recs, bytes := p.Pending()
		if bytes != -1 {
			t.Fatalf("pendingBytes %d, want unknown", bytes)
		}
		total += recs
		read := int64(0)
		for {
			out, _, err := r.Fetch(context.Background(), make([]Event, 0, 100))
			read += int64(len(out))
			left, _ := p.Pending()
			if errors.Is(err, io.EOF) {
				if left != 0 {
					t.Fatalf("subtask %d: %d pending at the end", sub, left)
				}
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if left != recs-read {
				t.Fatalf("subtask %d: %d pending after %d of %d", sub, left, read, recs)
			}
		}
	}
	if total != 1001 {
		t.Fatalf("pending over both subtasks at the start: %d, want 1001", total)
	}

	cfg.Events = 0
	src, _ = NewSource(cfg)
	r, _ := src.CreateReader(connector.SourceContext{Subtask: 0, Parallelism: 1})
	if recs, bytes := r.(connector.PendingReporter).Pending(); recs != -1 || bytes != -1 {
		t.Fatalf("unbounded: %d records, %d bytes pending, want unknown", recs, bytes)
	}
}
