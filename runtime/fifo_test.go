package runtime

import (
	"slices"
	"testing"
)

// TestFifo checks order, removal, and that a queue which never drains
// (one in, one out) keeps its array instead of growing without bound.
func TestFifo(t *testing.T) {
	var f fifo[int]
	var model []int
	for i := range 1000 {
		f.push(i)
		model = append(model, i)
		if i%3 == 0 {
			if got := f.pop(); got != model[0] {
				t.Fatalf("pop %d, want %d", got, model[0])
			}
			model = model[1:]
		}
		if i%7 == 0 && len(model) > 2 {
			v := model[len(model)/2]
			f.remove(v)
			model = slices.DeleteFunc(model, func(x int) bool { return x == v })
		}
	}
	for len(model) > 0 {
		if f.len() != len(model) {
			t.Fatalf("len %d, want %d", f.len(), len(model))
		}
		if got := f.pop(); got != model[0] {
			t.Fatalf("pop %d, want %d", got, model[0])
		}
		model = model[1:]
	}
	if f.len() != 0 || f.head != 0 || len(f.s) != 0 {
		t.Fatalf("drained queue: len %d head %d slice %d", f.len(), f.head, len(f.s))
	}

	var g fifo[int]
	g.push(0)
	for i := 1; i < 10_000; i++ {
		g.push(i)
		if got := g.pop(); got != i-1 {
			t.Fatalf("pop %d, want %d", got, i-1)
		}
	}
	if cap(g.s) > 8 {
		t.Fatalf("a queue of one element grew to capacity %d", cap(g.s))
	}
}
