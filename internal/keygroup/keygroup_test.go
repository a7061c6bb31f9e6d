package keygroup

import (
	"testing"

	"github.com/weirstream/weir/codec"
)

func TestRangesPartitionAllGroups(t *testing.T) {
	for _, maxP := range []int{1, 7, 128, 1000} {
		for p := 1; p <= maxP && p <= 64; p++ {
			next := 0
			for i := 0; i < p; i++ {
				r := RangeFor(maxP, p, i)
				if r.Start != next {
					t.Fatalf("maxP=%d p=%d subtask %d starts at %d, want %d", maxP, p, i, r.Start, next)
				}
				for g := r.Start; g < r.End; g++ {
					if s := SubtaskFor(g, maxP, p); s != i {
						t.Fatalf("maxP=%d p=%d group %d: SubtaskFor=%d, RangeFor says %d", maxP, p, g, s, i)
					}
				}
				next = r.End
			}
			if next != maxP {
				t.Fatalf("maxP=%d p=%d: ranges end at %d", maxP, p, next)
			}
		}
	}
}

func TestHashIsStable(t *testing.T) {
	// These values pin the key-group assignment of string and int64 keys as
	// the engine computes it (xxhash64 of the codec's bytes): a change here
	// would move every key of every existing checkpoint into another group.
	gs := NewGrouper(codec.String(), 128)
	for k, want := range map[string]int{"hello": 58, "world": 101, "": 104} {
		if got := gs.Group(k); got != want {
			t.Errorf("string key %q: group %d, want %d", k, got, want)
		}
	}
	gi := NewGrouper(codec.Int64(), 128)
	for k, want := range map[int64]int{0: 104, 1: 103, 42: 123} {
		if got := gi.Group(k); got != want {
			t.Errorf("int64 key %d: group %d, want %d", k, got, want)
		}
	}
}
