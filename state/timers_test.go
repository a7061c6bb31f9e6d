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

// TestTimerQueueDeleteAndRegisterAgain deletes most timers (enough for the
// heap to be rebuilt), registers some of them again, and checks that
// exactly the live ones fire, once each, in order.
func TestTimerQueueDeleteAndRegisterAgain(t *testing.T) {
	b := newBackend(maxP, keygroup.Range{Start: 0, End: maxP})
	q, err := NewTimerQueue(b, "event")
	if err != nil {
		t.Fatal(err)
	}
	at := func(k int64, f func(ts int64) error) {
		t.Helper()
		must(t, b.SetCurrentKey(k))
		must(t, f(1000-k))
	}
	for k := range int64(300) {
		at(k, q.Register)
	}
	for k := range int64(250) {
		at(k, q.Delete)
	}
	for k := int64(0); k < 250; k += 25 {
		at(k, q.Register)
		at(k, q.Register) // a duplicate is a no-op
	}
	var want []int64
	for k := int64(299); k >= 0; k-- {
		if k >= 250 || k%25 == 0 {
			want = append(want, 1000-k)
		}
	}
	if q.Len() != len(want) {
		t.Fatalf("%d timers, want %d", q.Len(), len(want))
	}
	var got []int64
	for {
		ts, ok, err := q.Pop(1 << 40)
		must(t, err)
		if !ok {
			break
		}
		if b.CurrentKey() != 1000-ts {
			t.Fatalf("timer %d fired for key %d", ts, b.CurrentKey())
		}
		got = append(got, ts)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("fired %v\nwant %v", got, want)
	}
}

// BenchmarkTimerReplace moves each key's timer forward, as a session or
// idle timeout does on every record: delete the old one, register the new.
func BenchmarkTimerReplace(b *testing.B) {
	const keys = 10_000
	kb := newBackend(maxP, keygroup.Range{Start: 0, End: maxP})
	q, err := NewTimerQueue(kb, "event")
	if err != nil {
		b.Fatal(err)
	}
	last := make([]int64, keys)
	for k := range int64(keys) {
		_ = kb.SetCurrentKey(k)
		last[k] = k
		_ = q.Register(k)
	}
	b.ReportAllocs()
	i := int64(0)
	for b.Loop() {
		k := (i * 7919) % keys // scattered: the old timer is anywhere in the heap
		i++
		_ = kb.SetCurrentKey(k)
		_ = q.Delete(last[k])
		last[k] = keys + (i*2654435761)%1_000_000 // times in no particular order
		if err := q.Register(last[k]); err != nil {
			b.Fatal(err)
		}
	}
}
