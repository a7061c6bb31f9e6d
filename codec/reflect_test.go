package codec

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

type inner struct {
	A uint16
	B *string
	C []int32
}

type rec struct {
	ID    int64
	Name  string
	Tags  []string
	Attrs map[string]int32
	Next  *rec
	Vals  []float64
	Flags [3]bool
	Hash  [4]byte
	Blob  []byte
	At    time.Time
	In    inner
	Ptrs  []*inner
	Grid  [2][2]int8
	Nest  map[int32]map[string][]uint16
	Addr  netip.Addr
	Skip  int `codec:"-"`
	_     int
	Empty struct{}
	Units []struct{}
}

func strp(s string) *string { return &s }

func sampleRec() rec {
	return rec{
		ID:    -99,
		Name:  "root ✓",
		Tags:  []string{"a", "", "ü"},
		Attrs: map[string]int32{"x": 1, "y": -2, "": math.MaxInt32},
		Next: &rec{
			ID:   1,
			Next: &rec{Name: "leaf", Vals: []float64{math.Inf(-1)}},
		},
		Vals:  []float64{0, 1.25, math.MaxFloat64},
		Flags: [3]bool{true, false, true},
		Hash:  [4]byte{0xde, 0xad, 0xbe, 0xef},
		Blob:  []byte{0, 1, 2},
		At:    time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC),
		In:    inner{A: 65535, B: strp("ptr"), C: []int32{math.MinInt32}},
		Ptrs:  []*inner{nil, {A: 1}, nil},
		Grid:  [2][2]int8{{-128, 127}, {0, 1}},
		Nest:  map[int32]map[string][]uint16{-1: {"k": {1, 2}}, 5: nil, 7: {"a": nil, "b": {65535}}},
		Addr:  netip.MustParseAddr("2001:db8::1"),
		Units: make([]struct{}, 5),
	}
}

func TestReflectRoundTrip(t *testing.T) {
	roundTripAll(t, rec{}, sampleRec())
	roundTripAll(t, []string(nil), []string{"a", "b"})
	roundTripAll(t, map[string]string(nil), map[string]string{"k": "v"})
	roundTripAll(t, [0]int{})
	roundTripAll(t, [2]string{"x", "y"})
	roundTripAll(t, (*int)(nil), new(int))
	roundTripAll(t, [][]byte{nil, {1}})
	roundTripAll(t, [][]int{{1, 2}, nil, {3}})
	roundTripAll(t, map[[2]int]*string{{1, 2}: strp("a"), {0, 0}: nil})
	roundTripAll(t, struct{}{})
	roundTripAll(t, []struct{}(nil), make([]struct{}, 1000))
	roundTripAll(t, map[struct{}]struct{}{{}: {}})
	roundTripAll(t, map[bool][]time.Duration{true: {1, 2}, false: nil})
	roundTripAll(t, struct{ P *Point }{&Point{1, 2}})
}

func TestSkippedFieldsDecodeZero(t *testing.T) {
	c := MustFor[rec]()
	in := rec{Skip: 5, Name: "n"}
	out, _, err := c.Decode(c.Append(nil, in))
	if err != nil || out.Skip != 0 || out.Name != "n" {
		t.Fatalf("got %+v, %v", out, err)
	}
}

func TestEmptyDecodesNil(t *testing.T) {
	type s struct {
		L []int
		M map[string]int
		B []byte
	}
	c := MustFor[s]()
	out, _, err := c.Decode(c.Append(nil, s{L: []int{}, M: map[string]int{}, B: []byte{}}))
	if err != nil || out.L != nil || out.M != nil || out.B != nil {
		t.Fatalf("got %#v, %v; want all nil", out, err)
	}
}

func TestMapDeterminism(t *testing.T) {
	c := MustFor[map[string]int]()
	a, b := map[string]int{}, map[string]int{}
	for i := range 200 {
		a[fmt.Sprint(i)] = i
	}
	for i := 199; i >= 0; i-- {
		b[fmt.Sprint(i)] = i
	}
	ea := c.Append(nil, a)
	for range 5 {
		if eb := c.Append(nil, b); !bytes.Equal(ea, eb) {
			t.Fatal("maps with the same contents encode differently")
		}
	}
	// Nested maps inside structs too.
	rc := MustFor[rec]()
	r1, r2 := sampleRec(), sampleRec()
	r2.Attrs = map[string]int32{"": math.MaxInt32, "y": -2, "x": 1}
	if !bytes.Equal(rc.Append(nil, r1), rc.Append(nil, r2)) {
		t.Fatal("structs with equal maps encode differently")
	}
	// NaN keys: several entries, all kept, still canonical.
	fc := MustFor[map[float64]int]()
	m := map[float64]int{math.NaN(): 2, math.NaN(): 1, 1: 0}
	enc := fc.Append(nil, m)
	got, _, err := fc.Decode(enc)
	if err != nil || len(got) != 3 || !bytes.Equal(fc.Append(nil, got), enc) {
		t.Fatalf("NaN keys: %v %v", got, err)
	}
}

type node struct {
	Val  int
	Next *node
}

type tree struct {
	Name string
	Kids []tree
}

func TestRecursionAndDepth(t *testing.T) {
	roundTripAll(t, tree{"r", []tree{{"a", nil}, {"b", []tree{{"c", nil}}}}})
	c := MustFor[*node]()
	var list *node
	for i := range MaxDepth - 1 {
		list = &node{i, list}
	}
	roundTrip(t, c, list, deepEq[*node])

	// A cyclic graph panics with a clear message instead of recursing forever.
	cyc := &node{Val: 1}
	cyc.Next = cyc
	func() {
		defer func() {
			r := recover()
			if r == nil || !strings.Contains(fmt.Sprint(r), "nesting deeper than") {
				t.Fatalf("recover() = %v", r)
			}
		}()
		c.Append(nil, cyc)
	}()

	// Crafted input nesting too deep is rejected.
	deep := bytes.Repeat([]byte{0x01, 0x00}, MaxDepth+10)
	if _, _, err := c.Decode(deep); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "nesting deeper") {
		t.Fatalf("deep input: %v", err)
	}
}

func TestUnsupported(t *testing.T) {
	type hasFunc struct {
		A  int
		Fn func()
	}
	type hasChan struct{ C chan int }
	type hasIface struct{ V any }
	type hasComplex struct{ Z []complex128 }
	type hasPrivate struct {
		Public  int
		private int //lint:ignore U1000 the unexported field is what the test is about
	}
	type badKey struct {
		A int
		B int `codec:"-"`
	}
	type nested struct{ Items []map[string]hasFunc }
	cases := []struct {
		err  error
		want []string
	}{
		{errOf[hasFunc](), []string{"codec.hasFunc", "field Fn", "func"}},
		{errOf[hasChan](), []string{"field C", "chan"}},
		{errOf[hasIface](), []string{"field V", "interface"}},
		{errOf[hasComplex](), []string{"field Z[]", "complex128"}},
		{errOf[hasPrivate](), []string{"field private of codec.hasPrivate is unexported", "codec.Provider"}},
		{errOf[map[badKey]int](), []string{"key type codec.badKey"}},
		{errOf[nested](), []string{"codec.nested", "field Items[][value].Fn"}},
		{errOf[func()](), []string{"the type itself"}},
		{errOf[any](), []string{"interface"}},
	}
	for _, c := range cases {
		if c.err == nil || !errors.Is(c.err, ErrUnsupported) {
			t.Errorf("want ErrUnsupported, got %v", c.err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(c.err.Error(), w) {
				t.Errorf("error %q does not mention %q", c.err, w)
			}
		}
	}
	if _, err := For[struct{ Private int }](); err != nil {
		t.Errorf("anonymous struct with exported field: %v", err)
	}
}

func errOf[T any]() error {
	_, err := For[T]()
	return err
}

func TestHugeLengthsDoNotAllocate(t *testing.T) {
	huge := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x01, 0x02}
	check := func(name string, decode func([]byte) error) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err := decode(huge)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err = %v", name, err)
		}
		if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
			t.Errorf("%s: allocated %d bytes for a 10-byte input", name, d)
		}
	}
	check("string", func(b []byte) error { _, _, err := String().Decode(b); return err })
	check("bytes", func(b []byte) error { _, _, err := Bytes().Decode(b); return err })
	check("[]int64", func(b []byte) error { _, _, err := MustFor[[]int64]().Decode(b); return err })
	check("[]rec", func(b []byte) error { _, _, err := MustFor[[]rec]().Decode(b); return err })
	check("map", func(b []byte) error { _, _, err := MustFor[map[string]string]().Decode(b); return err })
	check("map[struct{}]struct{}", func(b []byte) error {
		_, _, err := MustFor[map[struct{}]struct{}]().Decode(b)
		return err
	})
	check("[][16]byte", func(b []byte) error { _, _, err := MustFor[[][16]byte]().Decode(b); return err })

	// Zero-size elements take no input and no memory: any length is valid.
	units, n, err := MustFor[[]struct{}]().Decode(huge)
	if err != nil || n != 8 || len(units) != 1<<56-1 {
		t.Fatalf("[]struct{}: len %d, n %d, err %v", len(units), n, err)
	}
}

func TestConcurrentUse(t *testing.T) {
	c := MustFor[rec]()
	want := c.Append(nil, sampleRec())
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			var buf []byte
			for range 50 {
				buf = c.Append(buf[:0], sampleRec())
				if !bytes.Equal(buf, want) {
					t.Error("concurrent encodings differ")
					return
				}
				if _, _, err := c.Decode(buf); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
