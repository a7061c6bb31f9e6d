package state

import (
	"context"
	"fmt"
	"math/rand/v2"
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
				PebbleOptions{Dir: tb.TempDir()}, nil)
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

// BenchmarkPebbleRestore measures opening a pebble backend from a
// checkpoint of 100 MB and 1 GB of state: downloaded (copied from another
// directory, standing for checkpoint storage on the same disk) against
// local recovery (hard links to the task's local copy).
//
//	go test -run '^$' -bench PebbleRestore -benchtime 3x ./state
func BenchmarkPebbleRestore(b *testing.B) {
	for _, keys := range []int{100_000, 1_000_000} {
		dir, remote := b.TempDir(), b.TempDir()
		r := keygroup.Range{Start: 0, End: maxP}
		kb, err := NewPebbleBackend(context.Background(), codec.Int64(), maxP, r, PebbleOptions{Dir: dir, LocalRecovery: true}, nil)
		if err != nil {
			b.Fatal(err)
		}
		vs, _ := GetValueState[int64, []byte](kb, "blob")
		val := make([]byte, 1024)
		rng := rand.New(rand.NewPCG(1, 2))
		for k := range int64(keys) {
			for i := range val {
				val[i] = byte(rng.Uint32()) // incompressible, as the checkpoint test's
			}
			_ = kb.SetCurrentKey(k)
			if err := vs.Update(val); err != nil {
				b.Fatal(err)
			}
		}
		h := checkpointTo(b, kb, 1, remote)
		kb.OnCheckpointComplete(1)
		if err := kb.Close(); err != nil {
			b.Fatal(err)
		}
		var size int64
		for _, f := range h.Files {
			size += f.Size
		}
		for _, local := range []bool{false, true} {
			name := map[bool]string{false: "download", true: "local"}[local]
			b.Run(fmt.Sprintf("state=%dMB/%s", keys*1024/1e6, name), func(b *testing.B) {
				b.SetBytes(size)
				for b.Loop() {
					kb, err := NewPebbleBackend(context.Background(), codec.Int64(), maxP, r, PebbleOptions{Dir: dir, LocalRecovery: local}, []PebbleRestore{h})
					if err != nil {
						b.Fatal(err)
					}
					if want := map[bool]string{false: "downloaded", true: "local"}[local]; kb.pb.restored != want {
						b.Fatalf("restored %s, want %s", kb.pb.restored, want)
					}
					b.StopTimer()
					kb.pb.opts.LocalRecovery = true // keep chk-1 for the next round
					_ = kb.Close()
					b.StartTimer()
				}
			})
		}
	}
}

// BenchmarkListAdd measures ListState.Add over 64 K keys (a window's
// contents, a join's buffer), each list cleared after 16 elements.
func BenchmarkListAdd(b *testing.B) {
	const keys = 1 << 16
	for _, kind := range []string{"heap", "pebble"} {
		b.Run(kind, func(b *testing.B) {
			kb := backendKinds(b)[kind]()
			ls, err := GetListState[int64, int64](kb, "list")
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := int64(0)
			for b.Loop() {
				k := i % keys
				if err := kb.SetCurrentKey(k); err != nil {
					b.Fatal(err)
				}
				if err := ls.Add(i); err != nil {
					b.Fatal(err)
				}
				if i/keys%16 == 15 {
					if err := ls.Clear(); err != nil {
						b.Fatal(err)
					}
				}
				i++
			}
		})
	}
}
