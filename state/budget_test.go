package state

import (
	"errors"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"testing"

	"github.com/weirstream/weir/internal/keygroup"
)

// liveHeap is /gc/heap/live: the live heap at the end of the last
// collection.
func liveHeap() int64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// withoutGC runs f with the garbage collector off after one collection, so
// that the runtime's live heap stays what that collection measured: the
// budget must see the state's growth without waiting for the next one.
func withoutGC(t *testing.T, f func(live int64)) {
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(1 << 62))
	f(liveHeap())
}

// TestBudgetCountsGrowthBetweenCollections: state written since the last
// garbage collection counts against the budget at once (issue 11 item 9:
// the check read only the last collection's figure, and fired at 230 MiB
// of live heap against a budget of 140 MiB).
func TestBudgetCountsGrowthBetweenCollections(t *testing.T) {
	withoutGC(t, func(live int64) {
		kb := newBackend(maxP, keygroup.Range{Start: 0, End: maxP})
		vs, err := GetValueState[int64, []byte](kb, "blobs")
		if err != nil {
			t.Fatal(err)
		}
		const margin = 16 << 20
		kb.SetMemoryBudget(live+margin, "test", "Store")
		var written int64
		for k := int64(0); written < 4*margin; k++ {
			if err := kb.SetCurrentKey(k); err != nil {
				t.Fatal(err)
			}
			err := vs.Update(make([]byte, 1024))
			if errors.Is(err, ErrHeapBudget) {
				if written < margin/2 || written > 2*margin {
					t.Errorf("failed after %d MiB of new state, for a budget %d MiB above the live heap", written>>20, margin>>20)
				}
				for _, want := range []string{`operator "Store"`, "of state added since", `"blobs"`} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("%q does not say %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			written += 1024
		}
		t.Fatalf("wrote %d MiB of state with the budget %d MiB above the live heap, and no error", written>>20, margin>>20)
	})
}

// TestBudgetCountsSnapshotCopies: while a snapshot pins the state, the
// first write to each key group copies its map; the copies count against
// the budget (the pinned maps stay live until the snapshot is released).
func TestBudgetCountsSnapshotCopies(t *testing.T) {
	kb := newBackend(maxP, keygroup.Range{Start: 0, End: maxP})
	vs, err := GetValueState[int64, int64](kb, "counts")
	if err != nil {
		t.Fatal(err)
	}
	const keys = 400_000
	for k := range int64(keys) {
		if err := kb.SetCurrentKey(k); err != nil {
			t.Fatal(err)
		}
		if err := vs.Update(k); err != nil {
			t.Fatal(err)
		}
	}
	withoutGC(t, func(live int64) {
		// The copies of 400 000 entries take about 400 000 * 25 bytes
		// (10 MiB); a budget 4 MiB above the live heap must fire.
		kb.SetMemoryBudget(live+4<<20, "test", "Count")
		s, err := kb.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Release()
		for k := range int64(keys) {
			if err := kb.SetCurrentKey(k); err != nil {
				t.Fatal(err)
			}
			if err := vs.Update(k + 1); err != nil {
				if !errors.Is(err, ErrHeapBudget) {
					t.Fatal(err)
				}
				return
			}
		}
		t.Fatalf("copied every group of %d keys for a snapshot within a budget 4 MiB above the live heap", keys)
	})
}
