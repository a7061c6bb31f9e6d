package state

import (
	"context"
	"fmt"
	"testing"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/internal/keygroup"
)

// backendKinds builds a heap and a pebble backend over all groups.
func backendKinds(tb testing.TB) map[string]func() *KeyedBackend[int64] {
	return map[string]func() *KeyedBackend[int64]{
		"heap": func() *KeyedBackend[int64] { return newBackend(maxP, keygroup.Range{Start: 0, End: maxP}) },
		"pebble": func() *KeyedBackend[int64] {
			kb, err := NewPebbleBackend(context.Background(), codec.Int64(), maxP, keygroup.Range{Start: 0, End: maxP},
				PebbleOptions{Dir: tb.TempDir(), WriteBufferSize: 16 << 20, BlockCacheSize: 256 << 20}, nil)
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { kb.Close() })
			return kb
		},
	}
}

// BenchmarkStateReadWrite measures a read-modify-write of a ValueState (a
// running count per key, as the word count does) over 1 M distinct keys,
// heap against pebble.
func BenchmarkStateReadWrite(b *testing.B) {
	const keys = 1 << 20
	for _, kind := range []string{"heap", "pebble"} {
		b.Run(kind, func(b *testing.B) {
			kb := backendKinds(b)[kind]()
			vs, err := GetValueState[int64, int64](kb, "count")
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := int64(0)
			for b.Loop() {
				k := (i * 2654435761) % keys
				i++
				if err := kb.SetCurrentKey(k); err != nil {
					b.Fatal(err)
				}
				n, _, err := vs.Value()
				if err != nil {
					b.Fatal(err)
				}
				if err := vs.Update(n + 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStateRead measures reads of present keys.
func BenchmarkStateRead(b *testing.B) {
	const keys = 1 << 18
	for _, kind := range []string{"heap", "pebble"} {
		b.Run(kind, func(b *testing.B) {
			kb := backendKinds(b)[kind]()
			vs, err := GetValueState[int64, int64](kb, "count")
			if err != nil {
				b.Fatal(err)
			}
			for k := range int64(keys) {
				_ = kb.SetCurrentKey(k)
				_ = vs.Update(k)
			}
			b.ReportAllocs()
			b.ResetTimer()
			i := int64(0)
			for b.Loop() {
				k := (i * 2654435761) % keys
				i++
				if err := kb.SetCurrentKey(k); err != nil {
					b.Fatal(err)
				}
				if _, ok, err := vs.Value(); err != nil || !ok {
					b.Fatal(fmt.Sprint("missing ", k, err))
				}
			}
		})
	}
}
