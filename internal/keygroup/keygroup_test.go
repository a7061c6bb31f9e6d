package keygroup

import "testing"

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
	// These values pin the hash: a change here would move every key of every
	// existing checkpoint into another group.
	for k, want := range map[string]int{"hello": 35, "world": 111, "": 25} {
		if got := OfString(k, 128); got != want {
			t.Errorf("OfString(%q, 128) = %d, want %d", k, got, want)
		}
		if got := Of([]byte(k), 128); got != want {
			t.Errorf("Of(%q, 128) = %d, want %d", k, got, want)
		}
	}
}
