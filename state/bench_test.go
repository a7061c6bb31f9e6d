package state

import (
	"fmt"
	"io"
	"testing"

	"github.com/weirstream/weir/internal/keygroup"
)

// benchBackend returns a backend owning all 128 groups with n keys in one
// ValueState[int64].
func benchBackend(b *testing.B, n int) (*KeyedBackend[int64], ValueState[int64]) {
	b.Helper()
	kb := newBackend(maxP, keygroup.Range{Start: 0, End: maxP})
	vs, err := GetValueState[int64, int64](kb, "v")
	if err != nil {
		b.Fatal(err)
	}
	for k := range int64(n) {
		if err := kb.SetCurrentKey(k); err != nil {
			b.Fatal(err)
		}
		if err := vs.Update(k); err != nil {
			b.Fatal(err)
		}
	}
	return kb, vs
}

// BenchmarkSnapshotSync measures the synchronous part (Snapshot + Release),
// which must not grow with the number of keys.
func BenchmarkSnapshotSync(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000, 10_000_000} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			if n > 1_000_000 && testing.Short() {
				b.Skip("10M keys: not in -short")
			}
			kb, _ := benchBackend(b, n)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				s, err := kb.Snapshot()
				if err != nil {
					b.Fatal(err)
				}
				s.Release()
			}
		})
	}
}

// BenchmarkSnapshotWrite measures the asynchronous part (writing every key
// group's section) against the number of keys, with the checkpoint's size.
func BenchmarkSnapshotWrite(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000, 10_000_000} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			if n > 1_000_000 && testing.Short() {
				b.Skip("10M keys: not in -short")
			}
			kb, _ := benchBackend(b, n)
			s, err := kb.Snapshot()
			if err != nil {
				b.Fatal(err)
			}
			defer s.Release()
			_, size, err := s.WriteSections(io.Discard)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(size)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, _, err := s.WriteSections(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(size), "bytes/checkpoint")
		})
	}
}

// BenchmarkValueUpdate is the per-record cost of SetCurrentKey, Value and
// Update with no snapshot pinned (the copy-on-write check is one atomic
// load), and right after a released snapshot.
func BenchmarkValueUpdate(b *testing.B) {
	const keys = 100_000
	kb, vs := benchBackend(b, keys)
	run := func(b *testing.B) {
		b.ReportAllocs()
		k := int64(0)
		for b.Loop() {
			if err := kb.SetCurrentKey(k); err != nil {
				b.Fatal(err)
			}
			v, _, _ := vs.Value()
			if err := vs.Update(v + 1); err != nil {
				b.Fatal(err)
			}
			if k++; k == keys {
				k = 0
			}
		}
	}
	b.Run("no-snapshot", run)
	b.Run("released-snapshot", func(b *testing.B) {
		s, _ := kb.Snapshot()
		s.Release()
		run(b)
	})
}

// BenchmarkFirstWriteAfterSnapshot is what copy-on-write moves off the
// synchronous part: the first write to each pinned group clones its map
// (1M keys over 128 groups: about 7,800 entries per clone).
func BenchmarkFirstWriteAfterSnapshot(b *testing.B) {
	kb, vs := benchBackend(b, 1_000_000)
	b.ReportAllocs()
	for b.Loop() {
		s, _ := kb.Snapshot()
		if err := kb.SetCurrentKey(1); err != nil {
			b.Fatal(err)
		}
		if err := vs.Update(2); err != nil {
			b.Fatal(err)
		}
		s.Release()
	}
}
