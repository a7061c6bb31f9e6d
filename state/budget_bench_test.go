package state

import (
	"testing"

	"github.com/weirstream/weir/internal/keygroup"
)

// BenchmarkBudgetedWrites is the hot path with the heap budget on (as every
// job on the heap backend runs): updates of existing keys, and inserts of
// new keys (which the budget's growth estimate charges).
func BenchmarkBudgetedWrites(b *testing.B) {
	b.Run("update", func(b *testing.B) {
		const keys = 100_000
		kb, vs := benchBackend(b, keys)
		kb.SetMemoryBudget(1<<50, "test", "bench")
		b.ReportAllocs()
		k := int64(0)
		for b.Loop() {
			if err := kb.SetCurrentKey(k); err != nil {
				b.Fatal(err)
			}
			if err := vs.Update(k); err != nil {
				b.Fatal(err)
			}
			if k++; k == keys {
				k = 0
			}
		}
	})
	b.Run("insert", func(b *testing.B) {
		kb := newBackend(maxP, keygroup.Range{Start: 0, End: maxP})
		vs, err := GetValueState[int64, int64](kb, "v")
		if err != nil {
			b.Fatal(err)
		}
		kb.SetMemoryBudget(1<<50, "test", "bench")
		b.ReportAllocs()
		k := int64(0)
		for b.Loop() {
			if err := kb.SetCurrentKey(k); err != nil {
				b.Fatal(err)
			}
			if err := vs.Update(k); err != nil {
				b.Fatal(err)
			}
			k++
		}
	})
}
