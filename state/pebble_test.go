package state

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/internal/keygroup"
)

func openPebble(t *testing.T, dir string, r keygroup.Range, local bool, restores ...PebbleRestore) *KeyedBackend[int64] {
	t.Helper()
	kb, err := NewPebbleBackend(context.Background(), codec.Int64(), maxP, r,
		PebbleOptions{Dir: dir, WriteBufferSize: 1 << 20, BlockCacheSize: 1 << 20, CacheSize: 4 << 10, LocalRecovery: local}, restores)
	if err != nil {
		t.Fatal(err)
	}
	return kb
}

// checkpointTo takes checkpoint id of kb and copies its files into
// "remote", as checkpoint storage would hold them, returning the handle.
func checkpointTo(t testing.TB, kb *KeyedBackend[int64], id int64, remote string) PebbleRestore {
	t.Helper()
	s, err := kb.Checkpoint(id)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	dst := filepath.Join(remote, fmt.Sprint(id))
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	r := PebbleRestore{KeyGroups: kb.KeyGroups(), Checkpoint: id}
	for _, f := range s.(*PebbleSnapshot).Files() {
		b, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dst, f.Name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		r.Files = append(r.Files, PebbleFile{Name: f.Name, Size: int64(len(b)),
			Open: func(context.Context) (io.ReadCloser, error) { return os.Open(p) }})
	}
	return r
}

// pfill writes, for keys 0..n-1: value k*10, list [k, k+1], map {k: "v<k>"}
// and a timer at 1000+k.
func pfill(t *testing.T, kb *KeyedBackend[int64], n int64) {
	t.Helper()
	vs, _ := GetValueState[int64, int64](kb, "value")
	ls, _ := GetListState[int64, int64](kb, "list")
	ms, _ := GetMapState[int64, int64, string](kb, "map")
	tq, err := NewTimerQueue(kb, "t")
	if err != nil {
		t.Fatal(err)
	}
	for k := range n {
		must(t, kb.SetCurrentKey(k))
		must(t, vs.Update(k*10))
		must(t, ls.Add(k))
		must(t, ls.Add(k+1))
		must(t, ms.Put(k, fmt.Sprint("v", k)))
		must(t, tq.Register(1000+k))
	}
}

// pcheck reads back what fill wrote for the keys of kb's groups among
// 0..n-1, and that the timers are exactly those keys'.
func pcheck(t *testing.T, kb *KeyedBackend[int64], n int64) int {
	t.Helper()
	vs, _ := GetValueState[int64, int64](kb, "value")
	ls, _ := GetListState[int64, int64](kb, "list")
	ms, _ := GetMapState[int64, int64, string](kb, "map")
	tq, err := NewTimerQueue(kb, "t")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	var wantTimers []int64
	for k := range n {
		if !kb.KeyGroups().Contains(keygroup.Of(codec.Int64().Append(nil, k), maxP)) {
			continue
		}
		seen++
		wantTimers = append(wantTimers, 1000+k)
		must(t, kb.SetCurrentKey(k))
		if v, ok, err := vs.Value(); err != nil || !ok || v != k*10 {
			t.Fatalf("key %d: value %d %v %v", k, v, ok, err)
		}
		if l, err := ls.Get(); err != nil || !slices.Equal(l, []int64{k, k + 1}) {
			t.Fatalf("key %d: list %v %v", k, l, err)
		}
		if m, err := ms.Entries(); err != nil || !maps.Equal(m, map[int64]string{k: fmt.Sprint("v", k)}) {
			t.Fatalf("key %d: map %v %v", k, m, err)
		}
	}
	var timers []int64
	for {
		ts, ok, err := tq.Pop(1 << 40)
		must(t, err)
		if !ok {
			break
		}
		if kb.CurrentKey() != ts-1000 {
			t.Fatalf("timer %d fired for key %d", ts, kb.CurrentKey())
		}
		timers = append(timers, ts)
	}
	if !slices.Equal(timers, wantTimers) {
		t.Fatalf("timers %v, want %v", timers, wantTimers)
	}
	return seen
}

// TestPebbleStateKinds: every state kind and the timers read back what was
// written, and clearing works.
func TestPebbleStateKinds(t *testing.T) {
	kb := openPebble(t, t.TempDir(), keygroup.Range{Start: 0, End: maxP}, false)
	defer kb.Close()
	pfill(t, kb, 500)
	if got := pcheck(t, kb, 500); got != 500 {
		t.Fatalf("checked %d keys", got)
	}
	ms, _ := GetMapState[int64, int64, string](kb, "map")
	ls, _ := GetListState[int64, int64](kb, "list")
	must(t, kb.SetCurrentKey(7))
	must(t, ms.Put(8, "x"))
	must(t, ms.Remove(7))
	if m, _ := ms.Entries(); !maps.Equal(m, map[int64]string{8: "x"}) {
		t.Fatalf("map after put/remove: %v", m)
	}
	must(t, ms.Clear())
	must(t, ls.Update([]int64{4, 5, 6}))
	if m, _ := ms.Entries(); len(m) != 0 {
		t.Fatalf("map after clear: %v", m)
	}
	if l, _ := ls.Get(); !slices.Equal(l, []int64{4, 5, 6}) {
		t.Fatalf("list after update: %v", l)
	}
	must(t, kb.SetCurrentKey(8)) // a neighbour is untouched
	if m, _ := ms.Entries(); !maps.Equal(m, map[int64]string{8: "v8"}) {
		t.Fatalf("key 8's map: %v", m)
	}
	if _, err := GetListState[int64, int64](kb, "value"); !errors.Is(err, ErrStateType) {
		t.Fatalf("re-registering a value state as a list: %v", err)
	}
}

// TestPebbleRestoreAndRescale: a checkpoint restores whole (downloaded), and
// two checkpoints of halves restore into one backend, and one into three.
func TestPebbleRestoreAndRescale(t *testing.T) {
	remote := t.TempDir()
	const n = 3000
	var halves []PebbleRestore
	for s := range 2 {
		kb := openPebble(t, t.TempDir(), keygroup.RangeFor(maxP, 2, s), false)
		var keys []int64
		for k := range int64(n) {
			if kb.KeyGroups().Contains(keygroup.Of(codec.Int64().Append(nil, k), maxP)) {
				keys = append(keys, k)
			}
		}
		// fill only the keys this subtask owns
		vs, _ := GetValueState[int64, int64](kb, "value")
		ls, _ := GetListState[int64, int64](kb, "list")
		ms, _ := GetMapState[int64, int64, string](kb, "map")
		tq, _ := NewTimerQueue(kb, "t")
		for _, k := range keys {
			must(t, kb.SetCurrentKey(k))
			must(t, vs.Update(k*10))
			must(t, ls.Add(k))
			must(t, ls.Add(k+1))
			must(t, ms.Put(k, fmt.Sprint("v", k)))
			must(t, tq.Register(1000+k))
		}
		halves = append(halves, checkpointTo(t, kb, 5, filepath.Join(remote, fmt.Sprint(s))))
		must(t, kb.Close())
	}
	t.Run("same parallelism", func(t *testing.T) {
		kb := openPebble(t, t.TempDir(), keygroup.RangeFor(maxP, 2, 1), false, halves[1])
		defer kb.Close()
		if kb.pb.restored != "downloaded" {
			t.Fatalf("restored %s", kb.pb.restored)
		}
		pcheck(t, kb, n)
	})
	t.Run("2 to 1", func(t *testing.T) {
		kb := openPebble(t, t.TempDir(), keygroup.Range{Start: 0, End: maxP}, false, halves...)
		defer kb.Close()
		if got := pcheck(t, kb, n); got != n {
			t.Fatalf("%d keys after merging, want %d", got, n)
		}
	})
	t.Run("2 to 3", func(t *testing.T) {
		total := 0
		for s := range 3 {
			r := keygroup.RangeFor(maxP, 3, s)
			var mine []PebbleRestore
			for _, h := range halves {
				if max(h.KeyGroups.Start, r.Start) < min(h.KeyGroups.End, r.End) {
					mine = append(mine, h)
				}
			}
			kb := openPebble(t, t.TempDir(), r, false, mine...)
			total += pcheck(t, kb, n)
			must(t, kb.Close())
		}
		if total != n {
			t.Fatalf("%d keys over three subtasks, want %d", total, n)
		}
	})
}

// TestPebbleLocalRecovery: with local recovery, the local copy of the
// checkpoint is reused (not downloaded); a damaged download source would
// otherwise fail.
func TestPebbleLocalRecovery(t *testing.T) {
	dir, remote := t.TempDir(), t.TempDir()
	kb := openPebble(t, dir, keygroup.Range{Start: 0, End: maxP}, true)
	pfill(t, kb, 200)
	h := checkpointTo(t, kb, 3, remote)
	kb.OnCheckpointComplete(3)
	must(t, kb.Close())
	if _, err := os.Stat(filepath.Join(dir, "chk-3")); err != nil {
		t.Fatalf("local copy gone after close: %v", err)
	}
	for i := range h.Files { // storage unreachable: only the local copy can serve
		h.Files[i].Open = func(context.Context) (io.ReadCloser, error) { return nil, errors.New("storage is down") }
	}
	kb = openPebble(t, dir, keygroup.Range{Start: 0, End: maxP}, true, h)
	if kb.pb.restored != "local" {
		t.Fatalf("restored %s, want local", kb.pb.restored)
	}
	pcheck(t, kb, 200)
	// The restored database moves on (a flush and a checkpoint that never
	// completes edit its MANIFEST); a second restart from checkpoint 3
	// must still find checkpoint 3's state in the local copy.
	vs, _ := GetValueState[int64, int64](kb, "value")
	for k := int64(1000); k < 3000; k++ {
		must(t, kb.SetCurrentKey(k))
		must(t, vs.Update(k))
	}
	s, err := kb.Checkpoint(4)
	must(t, err)
	s.Release()
	must(t, kb.Close())
	kb = openPebble(t, dir, keygroup.Range{Start: 0, End: maxP}, true, h)
	defer kb.Close()
	if kb.pb.restored != "local" {
		t.Fatalf("second restore: %s, want local", kb.pb.restored)
	}
	pcheck(t, kb, 200)
	vs, _ = GetValueState[int64, int64](kb, "value")
	must(t, kb.SetCurrentKey(1500))
	if _, ok, _ := vs.Value(); ok {
		t.Fatal("the second restore sees a write made after checkpoint 3")
	}
}

// TestPebbleRefusesHeapFormat: heap sections are not silently dropped.
func TestPebbleRefusesHeapFormat(t *testing.T) {
	kb := openPebble(t, t.TempDir(), keygroup.Range{Start: 0, End: maxP}, false)
	defer kb.Close()
	if err := kb.Restore(keygroup.Range{Start: 0, End: maxP}, make([]int64, maxP), nil); !errors.Is(err, ErrBackendMismatch) {
		t.Fatalf("restore of heap sections into pebble: %v", err)
	}
}

// TestHeapBudget: past the budget, a write fails with a message naming the
// operator, the state and the cure.
func TestHeapBudget(t *testing.T) {
	kb := newBackend(maxP, keygroup.Range{Start: 0, End: maxP})
	kb.SetMemoryBudget(1, "a test budget", "Count")
	vs, _ := GetValueState[int64, int64](kb, "counts")
	var err error
	for k := int64(0); k < 10*checkEvery && err == nil; k++ {
		must(t, kb.SetCurrentKey(k))
		err = vs.Update(k)
	}
	if !errors.Is(err, ErrHeapBudget) {
		t.Fatalf("no budget error: %v", err)
	}
	for _, want := range []string{`operator "Count"`, `state "counts"`, "1023 keys", "a test budget", "state.backend.type: pebble"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// TestPebbleMatchesModel runs the random operations of the heap backend's
// tests (every state kind, clears included) against the pebble backend
// with a 4 KiB entry cache, so that most accesses miss it and it is
// flushed and emptied again and again; the state must equal the model
// throughout, and again after a checkpoint is restored whole and in two
// halves.
func TestPebbleMatchesModel(t *testing.T) {
	const keys = 300
	all := keygroup.Range{Start: 0, End: maxP}
	b := openPebble(t, t.TempDir(), all, false)
	h := registerAll(t, b)
	md := newModel()
	rng := rand.New(rand.NewPCG(4, 2))
	for round := range 5 {
		fill(t, b, h, md, rng, keys, 4000)
		if got := check(t, b, h, md, keys); got != keys {
			t.Fatalf("round %d: checked %d keys", round, got)
		}
	}
	cp := checkpointTo(t, b, 9, t.TempDir())
	must(t, b.Close())

	whole := openPebble(t, t.TempDir(), all, false, cp)
	check(t, whole, registerAll(t, whole), md, keys)
	must(t, whole.Close())
	total := 0
	for s := range 2 {
		half := openPebble(t, t.TempDir(), keygroup.RangeFor(maxP, 2, s), false, cp)
		total += check(t, half, registerAll(t, half), md, keys)
		must(t, half.Close())
	}
	if total != keys {
		t.Fatalf("the halves hold %d keys, want %d", total, keys)
	}
}
