package state

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/weirstream/weir/internal/keygroup"
)

// TestTimerQueueOrderAndDedup drives the queue with random registrations,
// duplicates and deletions, and checks the timers come out in time order,
// once each, for the right keys, against a plain sorted reference.
func TestTimerQueueOrderAndDedup(t *testing.T) {
	b := newBackend(maxP, keygroup.Range{Start: 0, End: maxP})
	q, err := NewTimerQueue(b, "event")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	type tk struct{ ts, key int64 }
	want := map[tk]bool{}
	for i := 0; i < 5000; i++ {
		k, ts := rng.Int64N(50), rng.Int64N(1000)
		if err := b.SetCurrentKey(k); err != nil {
			t.Fatal(err)
		}
		if rng.IntN(4) == 0 {
			if err := q.Delete(ts); err != nil {
				t.Fatal(err)
			}
			delete(want, tk{ts, k})
			continue
		}
		if err := q.Register(ts); err != nil { // duplicates are no-ops
			t.Fatal(err)
		}
		want[tk{ts, k}] = true
	}
	if q.Len() != len(want) {
		t.Fatalf("%d timers queued, want %d", q.Len(), len(want))
	}
	var got []tk
	for {
		ts, ok, err := q.Pop(500) // only those due by 500
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		got = append(got, tk{ts, b.CurrentKey()})
	}
	var due []tk
	for x := range want {
		if x.ts <= 500 {
			due = append(due, x)
		}
	}
	if len(got) != len(due) {
		t.Fatalf("popped %d timers due by 500, want %d", len(got), len(due))
	}
	if !slices.IsSortedFunc(got, func(a, b tk) int { return int(a.ts - b.ts) }) {
		t.Fatal("timers did not come out in time order")
	}
	for _, x := range got {
		if !want[x] {
			t.Fatalf("popped %v, which was never registered or was deleted", x)
		}
		delete(want, x)
	}
	if next, ok := q.Next(); !ok || next <= 500 || q.Len() != len(want) {
		t.Fatalf("after popping: next %d (%v), %d left, want %d above 500", next, ok, q.Len(), len(want))
	}
}
