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
		budgetedWrites(b, kb, vs, keys)
	})
	b.Run("insert", func(b *testing.B) {
		kb := newBackend(maxP, keygroup.Range{Start: 0, End: maxP})
		vs, err := GetValueState[int64, int64](kb, "v")
		if err != nil {
			b.Fatal(err)
		}
		budgetedWrites(b, kb, vs, 0)
	})
}

// budgetedWrites updates key k, k+1, ... under a budget that never fires,
// wrapping around at keys (never, when 0: every write inserts).
func budgetedWrites(b *testing.B, kb *KeyedBackend[int64], vs ValueState[int64], keys int64) {
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
}
