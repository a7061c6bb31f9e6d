package state

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/internal/keygroup"
)

// ---- a model of every state kind, mirrored by a backend ----

type avgAcc struct{ Sum, N int64 }

type avg struct{}

func (avg) CreateAccumulator() avgAcc { return avgAcc{} }
func (avg) Add(in int64, a avgAcc) (avgAcc, error) {
	a.Sum += in
	a.N++
	return a, nil
}
func (avg) Result(a avgAcc) (float64, error) { return float64(a.Sum) / float64(a.N), nil }

type handles struct {
	v ValueState[string]
	l ListState[int64]
	m MapState[string, int64]
	r ReducingState[int64]
	a AggregatingState[int64, float64]
}

func sum(a, b int64) (int64, error) { return a + b, nil }

func newBackend(maxP int, r keygroup.Range) *KeyedBackend[int64] {
	return NewKeyedBackend(codec.MustFor[int64](), maxP, r)
}

func registerAll(t testing.TB, b *KeyedBackend[int64]) handles {
	t.Helper()
	var h handles
	var err error
	if h.v, err = GetValueState[int64, string](b, "v"); err != nil {
		t.Fatal(err)
	}
	if h.l, err = GetListState[int64, int64](b, "l"); err != nil {
		t.Fatal(err)
	}
	if h.m, err = GetMapState[int64, string, int64](b, "m"); err != nil {
		t.Fatal(err)
	}
	if h.r, err = GetReducingState(b, "r", sum); err != nil {
		t.Fatal(err)
	}
	if h.a, err = GetAggregatingState[int64, int64, avgAcc, float64](b, "a", avg{}); err != nil {
		t.Fatal(err)
	}
	return h
}

type model struct {
	v map[int64]string
	l map[int64][]int64
	m map[int64]map[string]int64
	r map[int64]int64
	a map[int64]avgAcc
}

func newModel() *model {
	return &model{v: map[int64]string{}, l: map[int64][]int64{}, m: map[int64]map[string]int64{}, r: map[int64]int64{}, a: map[int64]avgAcc{}}
}

func (md *model) clone() *model {
	c := &model{v: maps.Clone(md.v), l: map[int64][]int64{}, m: map[int64]map[string]int64{}, r: maps.Clone(md.r), a: maps.Clone(md.a)}
	for k, l := range md.l {
		c.l[k] = slices.Clone(l)
	}
	for k, m := range md.m {
		c.m[k] = maps.Clone(m)
	}
	return c
}

func (md *model) entries() int64 {
	return int64(len(md.v) + len(md.l) + len(md.m) + len(md.r) + len(md.a))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// step applies one random operation on key k to the backend and the model.
func step(t testing.TB, b *KeyedBackend[int64], h handles, md *model, rng *rand.Rand, k int64) {
	must(t, b.SetCurrentKey(k))
	x := rng.Int64N(1000)
	switch rng.IntN(14) {
	case 0, 1:
		s := fmt.Sprint("s", x)
		must(t, h.v.Update(s))
		md.v[k] = s
	case 2:
		must(t, h.v.Clear())
		delete(md.v, k)
	case 3, 4:
		must(t, h.l.Add(x))
		md.l[k] = append(md.l[k], x)
	case 5:
		vs := []int64{x, x + 1}
		must(t, h.l.Update(vs))
		md.l[k] = vs
	case 6:
		must(t, h.l.Clear())
		delete(md.l, k)
	case 7, 8:
		uk := fmt.Sprint("u", x%7)
		must(t, h.m.Put(uk, x))
		if md.m[k] == nil {
			md.m[k] = map[string]int64{}
		}
		md.m[k][uk] = x
	case 9:
		uk := fmt.Sprint("u", x%7)
		must(t, h.m.Remove(uk))
		delete(md.m[k], uk)
		if len(md.m[k]) == 0 {
			delete(md.m, k)
		}
	case 10:
		must(t, h.m.Clear())
		delete(md.m, k)
	case 11:
		must(t, h.r.Add(x))
		md.r[k] += x
	case 12:
		must(t, h.a.Add(x))
		a := md.a[k]
		a.Sum += x
		a.N++
		md.a[k] = a
	case 13:
		if x%2 == 0 {
			must(t, h.r.Clear())
			delete(md.r, k)
		} else {
			must(t, h.a.Clear())
			delete(md.a, k)
		}
	}
}

// check compares the backend with the model for every key of keys the
// backend owns, and returns how many it owns.
func check(t testing.TB, b *KeyedBackend[int64], h handles, md *model, keys int64) int {
	t.Helper()
	owned := 0
	for k := range keys {
		if b.SetCurrentKey(k) != nil {
			continue
		}
		owned++
		v, ok, _ := h.v.Value()
		if mv, mok := md.v[k]; ok != mok || v != mv {
			t.Fatalf("key %d: value %q,%v, want %q,%v", k, v, ok, mv, mok)
		}
		l, _ := h.l.Get()
		if !slices.Equal(l, md.l[k]) {
			t.Fatalf("key %d: list %v, want %v", k, l, md.l[k])
		}
		m, _ := h.m.Entries()
		if !maps.Equal(m, md.m[k]) {
			t.Fatalf("key %d: map %v, want %v", k, m, md.m[k])
		}
		r, ok, _ := h.r.Get()
		if mr, mok := md.r[k]; ok != mok || r != mr {
			t.Fatalf("key %d: reducing %d,%v, want %d,%v", k, r, ok, mr, mok)
		}
		a, ok, _ := h.a.Get()
		ma, mok := md.a[k]
		want, _ := avg{}.Result(ma)
		if ok != mok || (ok && a != want) {
			t.Fatalf("key %d: aggregating %v,%v, want %v,%v", k, a, ok, want, mok)
		}
	}
	return owned
}

// file is what WriteSections produced for a range.
type file struct {
	r       keygroup.Range
	offsets []int64
	data    []byte
}

func write(t testing.TB, s *KeyedSnapshot) file {
	t.Helper()
	var buf bytes.Buffer
	offs, size, err := s.WriteSections(&buf)
	must(t, err)
	if size != int64(buf.Len()) || len(offs) != s.KeyGroups().Len() {
		t.Fatalf("size %d offsets %d for %d bytes, range %v", size, len(offs), buf.Len(), s.KeyGroups())
	}
	return file{s.KeyGroups(), offs, buf.Bytes()}
}

func snapshot(t testing.TB, b *KeyedBackend[int64]) file {
	t.Helper()
	s, err := b.Snapshot()
	must(t, err)
	defer s.Release()
	return write(t, s)
}

func restore(t testing.TB, maxP int, r keygroup.Range, fs ...file) *KeyedBackend[int64] {
	t.Helper()
	b := newBackend(maxP, r)
	for _, f := range fs {
		must(t, b.Restore(f.r, f.offsets, f.data))
	}
	return b
}

// fill makes n random operations over keys [0, keys).
func fill(t testing.TB, b *KeyedBackend[int64], h handles, md *model, rng *rand.Rand, keys int64, n int) {
	for range n {
		step(t, b, h, md, rng, rng.Int64N(keys))
	}
}

const maxP = 128

var all = keygroup.Range{Start: 0, End: maxP}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	b := newBackend(maxP, all)
	h := registerAll(t, b)
	md := newModel()
	const keys = 500
	fill(t, b, h, md, rng, keys, 5000)

	s, err := b.Snapshot()
	must(t, err)
	if s.Entries() != md.entries() {
		t.Errorf("Entries() = %d, want %d", s.Entries(), md.entries())
	}
	f := write(t, s)
	s.Release()

	b2 := restore(t, maxP, all, f)
	h2 := registerAll(t, b2)
	if n := check(t, b2, h2, md, keys); n != keys {
		t.Fatalf("checked %d keys", n)
	}
	// Writing the restored backend again gives a file that restores the same.
	b3 := restore(t, maxP, all, snapshot(t, b2))
	check(t, b3, registerAll(t, b3), md, keys)

	// An empty backend writes empty sections.
	e := snapshot(t, newBackend(maxP, all))
	if len(e.data) != maxP*(1+1+1+4) { // version, group, count, crc
		t.Errorf("empty file is %d bytes", len(e.data))
	}
}

// TestCopyOnWrite mutates every kind of state on the snapshot's keys between
// Snapshot and WriteSections, and checks the file holds the state at Snapshot.
func TestCopyOnWrite(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	b := newBackend(maxP, all)
	h := registerAll(t, b)
	md := newModel()
	const keys = 300
	fill(t, b, h, md, rng, keys, 3000)
	// A list whose backing array has room: Add after the snapshot writes in
	// place beyond the snapshot's length.
	must(t, b.SetCurrentKey(7))
	must(t, h.l.Clear())
	delete(md.l, 7)
	for i := range int64(3) {
		must(t, h.l.Add(i))
		md.l[7] = append(md.l[7], i)
	}

	s1, err := b.Snapshot()
	must(t, err)
	at1 := md.clone()

	// Heavy mutation on the same keys, every kind and operation.
	must(t, b.SetCurrentKey(7))
	must(t, h.l.Add(99))
	md.l[7] = append(md.l[7], 99)
	for k := range int64(keys) {
		for range 4 {
			step(t, b, h, md, rng, k)
		}
	}
	// A second snapshot while the first is pinned, then more mutation.
	s2, err := b.Snapshot()
	must(t, err)
	at2 := md.clone()
	for k := range int64(keys) {
		for range 4 {
			step(t, b, h, md, rng, k)
		}
	}

	f1 := write(t, s1)
	s1.Release()
	// Mutate after s1 is released and s2 still pinned.
	fill(t, b, h, md, rng, keys, 2000)
	f2 := write(t, s2)
	s2.Release()
	fill(t, b, h, md, rng, keys, 2000)

	b1 := restore(t, maxP, all, f1)
	check(t, b1, registerAll(t, b1), at1, keys)
	b2 := restore(t, maxP, all, f2)
	check(t, b2, registerAll(t, b2), at2, keys)
	check(t, b, h, md, keys)

	must(t, b1.SetCurrentKey(7))
	if l, _ := registerAll(t, b1).l.Get(); !slices.Equal(l, []int64{0, 1, 2}) {
		t.Fatalf("snapshot list = %v", l)
	}
}

// TestConcurrentWrite runs WriteSections on another goroutine while the subtask
// mutates the backend; run with -race.
func TestConcurrentWrite(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	b := newBackend(maxP, all)
	h := registerAll(t, b)
	md := newModel()
	const keys = 400
	fill(t, b, h, md, rng, keys, 4000)
	for round := range 3 {
		s, err := b.Snapshot()
		must(t, err)
		at := md.clone()
		type result struct {
			f   file
			err error
		}
		done, start := make(chan result, 1), make(chan struct{})
		go func() {
			<-start
			var buf yieldWriter
			offs, _, err := s.WriteSections(&buf)
			// Release on the writer's goroutine; the subtask may go on
			// writing concurrently.
			s.Release()
			done <- result{file{s.KeyGroups(), offs, buf.Bytes()}, err}
		}()
		var res result
		ops := 0
		close(start)
	loop:
		for {
			select {
			case res = <-done:
				break loop
			default:
				step(t, b, h, md, rng, rng.Int64N(keys))
				ops++
			}
		}
		must(t, res.err)
		// Mutations after the write finished too.
		fill(t, b, h, md, rng, keys, 500)
		r := restore(t, maxP, all, res.f)
		check(t, r, registerAll(t, r), at, keys)
		t.Logf("round %d: %d operations during the write", round, ops)
	}
	check(t, b, h, md, keys)
}

// TestReleaseDuringWrite: Release while a write runs does not unpin under
// it, and a write after Release fails.
func TestReleaseDuringWrite(t *testing.T) {
	b := newBackend(maxP, all)
	h := registerAll(t, b)
	md := newModel()
	fill(t, b, h, md, rand.New(rand.NewPCG(7, 8)), 100, 500)
	s, err := b.Snapshot()
	must(t, err)
	at := md.clone()
	w := &hookWriter{hook: func() {
		s.Release()
		s.Release() // idempotent
		// Still pinned by the running write: this must copy.
		fill(t, b, h, md, rand.New(rand.NewPCG(9, 10)), 100, 500)
	}}
	offs, _, err := s.WriteSections(w)
	must(t, err)
	r := restore(t, maxP, all, file{all, offs, w.buf.Bytes()})
	check(t, r, registerAll(t, r), at, 100)
	if _, _, err := s.WriteSections(&bytes.Buffer{}); !errors.Is(err, ErrSnapshotReleased) {
		t.Fatalf("WriteSections after Release: %v", err)
	}
	for _, g := range b.tables["v"].(*valueTable[int64, string]).groups {
		if g.pins.Load() != 0 {
			t.Fatal("a group is still pinned")
		}
	}
}

// yieldWriter yields the processor at every Write, so that the subtask's
// mutations interleave with the write.
type yieldWriter struct{ bytes.Buffer }

func (w *yieldWriter) Write(p []byte) (int, error) {
	runtime.Gosched()
	return w.Buffer.Write(p)
}

// hookWriter calls hook once, at the first Write.
type hookWriter struct {
	buf  bytes.Buffer
	hook func()
}

func (w *hookWriter) Write(p []byte) (int, error) {
	if w.hook != nil {
		h := w.hook
		w.hook = nil
		h()
	}
	return w.buf.Write(p)
}

type errWriter struct{ n int }

func (w *errWriter) Write(p []byte) (int, error) {
	if w.n == 0 {
		return 0, errors.New("disk full")
	}
	w.n--
	return len(p), nil
}

func TestWriteError(t *testing.T) {
	b := newBackend(maxP, all)
	registerAll(t, b)
	s, _ := b.Snapshot()
	defer s.Release()
	if _, size, err := s.WriteSections(&errWriter{n: 3}); err == nil || size == 0 {
		t.Fatalf("size %d err %v", size, err)
	}
}

func TestRescale(t *testing.T) {
	for _, c := range []struct{ from, to int }{{2, 3}, {3, 1}, {1, 2}} {
		t.Run(fmt.Sprintf("%d-to-%d", c.from, c.to), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(c.from), uint64(c.to)))
			const keys = 1000
			md := newModel()
			var files []file
			var total int64
			olds := make([]*KeyedBackend[int64], c.from)
			hs := make([]handles, c.from)
			for i := range olds {
				olds[i] = newBackend(maxP, keygroup.RangeFor(maxP, c.from, i))
				hs[i] = registerAll(t, olds[i])
			}
			for range 6000 {
				k := rng.Int64N(keys)
				i := keygroup.SubtaskFor(keygroup.NewGrouper(codec.MustFor[int64](), maxP).Group(k), maxP, c.from)
				step(t, olds[i], hs[i], md, rng, k)
			}
			for _, b := range olds {
				s, err := b.Snapshot()
				must(t, err)
				total += s.Entries()
				files = append(files, write(t, s))
				s.Release()
			}
			if total != md.entries() {
				t.Fatalf("old entries %d, model %d", total, md.entries())
			}
			var owned int
			var got int64
			for i := range c.to {
				// Every new subtask is handed every old file; each loads its
				// own groups.
				b := restore(t, maxP, keygroup.RangeFor(maxP, c.to, i), files...)
				owned += check(t, b, registerAll(t, b), md, keys)
				s, _ := b.Snapshot()
				got += s.Entries()
				s.Release()
			}
			if owned != keys || got != total {
				t.Fatalf("keys owned %d of %d, entries %d of %d", owned, keys, got, total)
			}
		})
	}
}

// TestRestoreBeforeRegistered covers a state registered before Restore (the
// Reduce operator does so) and a state registered after.
func TestRestoreBeforeRegistered(t *testing.T) {
	b := newBackend(maxP, all)
	h := registerAll(t, b)
	md := newModel()
	fill(t, b, h, md, rand.New(rand.NewPCG(11, 12)), 200, 2000)
	f := snapshot(t, b)

	b2 := newBackend(maxP, all)
	if _, err := GetReducingState(b2, "r", sum); err != nil {
		t.Fatal(err)
	}
	must(t, b2.Restore(f.r, f.offsets, f.data))
	check(t, b2, registerAll(t, b2), md, 200)
	if err := b2.Restore(f.r, f.offsets, f.data); !errors.Is(err, ErrCorruptState) {
		t.Fatalf("restoring a group twice: %v", err)
	}
}

func TestUnregisteredCarried(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	b := newBackend(maxP, all)
	h := registerAll(t, b)
	md := newModel()
	fill(t, b, h, md, rng, 200, 2000)
	f := snapshot(t, b)

	// The next run registers only the value state and changes it.
	b2 := restore(t, maxP, all, f)
	v, err := GetValueState[int64, string](b2, "v")
	must(t, err)
	for k := range int64(200) {
		must(t, b2.SetCurrentKey(k))
		must(t, v.Update("new"))
		md.v[k] = "new"
	}
	f2 := snapshot(t, b2)

	// Rescaled to two subtasks, everything is back.
	for i := range 2 {
		b3 := restore(t, maxP, keygroup.RangeFor(maxP, 2, i), f2)
		check(t, b3, registerAll(t, b3), md, 200)
	}
}

func TestKindMismatch(t *testing.T) {
	b := newBackend(maxP, all)
	l, err := GetListState[int64, string](b, "events")
	must(t, err)
	must(t, b.SetCurrentKey(1))
	must(t, l.Add("x"))
	f := snapshot(t, b)

	b2 := restore(t, maxP, all, f)
	_, err = GetValueState[int64, string](b2, "events")
	if !errors.Is(err, ErrStateType) || !strings.Contains(err.Error(), `"events"`) {
		t.Fatalf("registering a list as a value: %v", err)
	}
	// Still restorable as what it was.
	l2, err := GetListState[int64, string](b2, "events")
	must(t, err)
	must(t, b2.SetCurrentKey(1))
	if got, _ := l2.Get(); !slices.Equal(got, []string{"x"}) {
		t.Fatalf("list = %v", got)
	}

	// Registered first, then restored.
	b3 := newBackend(maxP, all)
	_, err = GetMapState[int64, string, string](b3, "events")
	must(t, err)
	if err := b3.Restore(f.r, f.offsets, f.data); !errors.Is(err, ErrStateType) || !strings.Contains(err.Error(), `"events"`) {
		t.Fatalf("restoring a list into a map: %v", err)
	}
}

func TestNoCodec(t *testing.T) {
	b := newBackend(maxP, all)
	_, err := GetValueState[int64, func()](b, "fn")
	if !errors.Is(err, codec.ErrUnsupported) || !strings.Contains(err.Error(), `"fn"`) {
		t.Fatalf("GetValueState[func()]: %v", err)
	}
	_, err = GetMapState[int64, string, chan int](b, "ch")
	if !errors.Is(err, codec.ErrUnsupported) || !strings.Contains(err.Error(), `"ch"`) {
		t.Fatalf("GetMapState[chan]: %v", err)
	}
}

func TestCorruption(t *testing.T) {
	b := newBackend(maxP, all)
	h := registerAll(t, b)
	fill(t, b, h, newModel(), rand.New(rand.NewPCG(15, 16)), 300, 1000)
	f := snapshot(t, b)

	wantCorrupt := func(t *testing.T, err error, group string) {
		t.Helper()
		if !errors.Is(err, ErrCorruptState) || !strings.Contains(err.Error(), group) {
			t.Fatalf("want ErrCorruptState naming %q, got %v", group, err)
		}
	}
	t.Run("flipped byte", func(t *testing.T) {
		for _, g := range []int{0, 5, maxP - 1} {
			for _, at := range []int64{0, 1, 7} {
				d := bytes.Clone(f.data)
				d[f.offsets[g]+at] ^= 0x10
				b2 := newBackend(maxP, all)
				wantCorrupt(t, b2.Restore(all, f.offsets, d), fmt.Sprintf("key group %d:", g))
				if len(b2.restored) != 0 {
					t.Fatal("a failed Restore loaded state")
				}
			}
		}
	})
	t.Run("truncated", func(t *testing.T) {
		b2 := newBackend(maxP, all)
		wantCorrupt(t, b2.Restore(all, f.offsets, f.data[:len(f.data)-1]), fmt.Sprintf("key group %d", maxP-1))
	})
	t.Run("offsets", func(t *testing.T) {
		offs := slices.Clone(f.offsets)
		offs[3], offs[4] = offs[4], offs[3] // group 2 runs long, group 3 ends before it starts
		wantCorrupt(t, newBackend(maxP, all).Restore(all, offs, f.data), "key group 2:")
		wantCorrupt(t, newBackend(maxP, keygroup.Range{Start: 3, End: maxP}).Restore(all, offs, f.data), "key group 3:")
		wantCorrupt(t, newBackend(maxP, all).Restore(all, f.offsets[1:], f.data), "offsets")
		// Sections of another range than the one claimed.
		r := keygroup.Range{Start: 1, End: maxP + 1}
		wantCorrupt(t, newBackend(maxP, all).Restore(r, f.offsets, f.data), "key group 1")
	})
	t.Run("only own groups read", func(t *testing.T) {
		d := bytes.Clone(f.data)
		d[f.offsets[0]+2] ^= 0xff
		must(t, newBackend(maxP, keygroup.Range{Start: 1, End: maxP}).Restore(all, f.offsets, d))
	})
	t.Run("decode", func(t *testing.T) {
		// A string value registered as a bool: restored fine, fails to
		// decode on registration.
		b2 := restore(t, maxP, all, f)
		_, err := GetValueState[int64, bool](b2, "v")
		wantCorrupt(t, err, "key group")
		if !strings.Contains(err.Error(), `"v"`) {
			t.Fatalf("error does not name the state: %v", err)
		}
		// The raw state is kept.
		if _, err := GetValueState[int64, string](b2, "v"); err != nil {
			t.Fatal(err)
		}
	})
}

// TestHandles covers the handles' own behaviour.
func TestHandles(t *testing.T) {
	b := newBackend(maxP, keygroup.RangeFor(maxP, 2, 0))
	h := registerAll(t, b)
	if _, err := GetListState[int64, string](b, "v"); !errors.Is(err, ErrStateType) {
		t.Fatalf("re-registering with another kind: %v", err)
	}
	outside := 0
	for k := range int64(20) {
		if err := b.SetCurrentKey(k); errors.Is(err, ErrKeyOutOfRange) {
			outside++
		}
	}
	if outside == 0 || outside == 20 {
		t.Fatalf("%d of 20 keys outside half the groups", outside)
	}
	k := int64(0)
	for b.SetCurrentKey(k) != nil {
		k++
	}
	must(t, h.l.Add(1))
	got, _ := h.l.Get()
	got[0] = 42
	if again, _ := h.l.Get(); again[0] != 1 {
		t.Fatal("Get does not copy")
	}
	must(t, h.m.Put("a", 1))
	e, _ := h.m.Entries()
	e["a"] = 2
	if v, _, _ := h.m.Get("a"); v != 1 {
		t.Fatal("Entries does not copy")
	}
	must(t, h.m.Remove("a"))
	if _, ok := b.tables["m"].(*mapTable[int64, string, int64]).read(b.curIdx)[k]; ok {
		t.Fatal("removing the last entry leaves an empty map")
	}
	must(t, h.l.Update(nil))
	if l, _ := h.l.Get(); l != nil {
		t.Fatalf("Update(nil) left %v", l)
	}
}
