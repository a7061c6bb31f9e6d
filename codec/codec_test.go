package codec

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// roundTrip encodes v after a non-empty prefix, decodes it back with trailing
// garbage present, compares, checks canonical re-encoding and that every
// strict prefix of the encoding is rejected with ErrCorrupt.
func roundTrip[T any](t *testing.T, c Codec[T], v T, eq func(a, b T) bool) []byte {
	t.Helper()
	buf := c.Append([]byte{0xAA}, v)
	if buf[0] != 0xAA {
		t.Fatalf("Append clobbered the prefix of dst")
	}
	enc := bytes.Clone(buf[1:])
	got, n, err := c.Decode(append(bytes.Clone(enc), 0xFF, 0xFF))
	if err != nil {
		t.Fatalf("Decode(%x) of %#v: %v", enc, v, err)
	}
	if n != len(enc) {
		t.Fatalf("Decode consumed %d bytes, encoding has %d", n, len(enc))
	}
	if !eq(got, v) {
		t.Fatalf("round trip: got %#v, want %#v (encoding %x)", got, v, enc)
	}
	if again := c.Append(nil, got); !bytes.Equal(again, enc) {
		t.Fatalf("re-encoding differs: %x vs %x", again, enc)
	}
	for i := range len(enc) {
		_, _, err := c.Decode(enc[:i])
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Decode of %d-byte prefix of %x: err = %v, want ErrCorrupt", i, enc, err)
		}
	}
	return enc
}

func deepEq[T any](a, b T) bool { return reflect.DeepEqual(a, b) }

func roundTripAll[T any](t *testing.T, vals ...T) {
	t.Helper()
	c := MustFor[T]()
	for _, v := range vals {
		roundTrip(t, c, v, deepEq[T])
	}
}

func TestBuiltinRoundTrip(t *testing.T) {
	t.Run("bool", func(t *testing.T) { roundTripAll(t, false, true) })
	t.Run("int", func(t *testing.T) { roundTripAll(t, 0, 1, -1, 63, -64, 64, math.MaxInt, math.MinInt) })
	t.Run("int8", func(t *testing.T) { roundTripAll[int8](t, 0, -1, math.MaxInt8, math.MinInt8) })
	t.Run("int16", func(t *testing.T) { roundTripAll[int16](t, 0, -1, math.MaxInt16, math.MinInt16) })
	t.Run("int32", func(t *testing.T) { roundTripAll[int32](t, 0, -1, math.MaxInt32, math.MinInt32) })
	t.Run("int64", func(t *testing.T) { roundTripAll[int64](t, 0, -1, 1, math.MaxInt64, math.MinInt64, 1<<40) })
	t.Run("uint", func(t *testing.T) { roundTripAll[uint](t, 0, 1, 127, 128, math.MaxUint) })
	t.Run("uint8", func(t *testing.T) { roundTripAll[uint8](t, 0, 127, 128, math.MaxUint8) })
	t.Run("uint16", func(t *testing.T) { roundTripAll[uint16](t, 0, math.MaxUint16) })
	t.Run("uint32", func(t *testing.T) { roundTripAll[uint32](t, 0, math.MaxUint32) })
	t.Run("uint64", func(t *testing.T) { roundTripAll[uint64](t, 0, 1<<63, math.MaxUint64) })
	t.Run("uintptr", func(t *testing.T) { roundTripAll[uintptr](t, 0, ^uintptr(0)) })
	t.Run("float32", func(t *testing.T) {
		c := MustFor[float32]()
		bitsEq := func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }
		for _, v := range []float32{0, float32(math.Copysign(0, -1)), 1.5, math.MaxFloat32, math.SmallestNonzeroFloat32,
			float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.Float32frombits(0x7fc00001)} {
			roundTrip(t, c, v, bitsEq)
		}
	})
	t.Run("float64", func(t *testing.T) {
		c := MustFor[float64]()
		bitsEq := func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }
		for _, v := range []float64{0, math.Copysign(0, -1), math.Pi, math.MaxFloat64, math.SmallestNonzeroFloat64,
			math.Inf(1), math.Inf(-1), math.NaN(), math.Float64frombits(0xfff8000000000123)} {
			roundTrip(t, c, v, bitsEq)
		}
	})
	t.Run("string", func(t *testing.T) {
		roundTripAll(t, "", "a", "héllo, 世界 🌍", "\x00\xff invalid utf8 \xc3", strings.Repeat("x", 300))
	})
	t.Run("bytes", func(t *testing.T) {
		roundTripAll(t, []byte(nil), []byte{0}, []byte("abc"), bytes.Repeat([]byte{7}, 200))
	})
	t.Run("duration", func(t *testing.T) {
		roundTripAll(t, time.Duration(0), time.Second, -time.Hour, time.Duration(math.MaxInt64), time.Duration(math.MinInt64))
	})
}

func TestEmptyBytesDecodeNil(t *testing.T) {
	c := Bytes()
	enc := c.Append(nil, []byte{})
	if !bytes.Equal(enc, []byte{0}) {
		t.Fatalf("empty slice encoding %x", enc)
	}
	got, _, err := c.Decode(enc)
	if err != nil || got != nil {
		t.Fatalf("got %#v, %v; want nil", got, err)
	}
}

func TestTime(t *testing.T) {
	c := MustFor[time.Time]()
	eq := func(a, b time.Time) bool {
		_, oa := a.Zone()
		_, ob := b.Zone()
		return a.Equal(b) && oa == ob
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		ny = time.FixedZone("EST", -5*3600)
	}
	base := time.Date(2024, 3, 10, 1, 59, 59, 999999999, time.UTC)
	vals := []time.Time{
		{},
		time.Unix(0, 0),
		time.Unix(0, 0).UTC(),
		base,
		base.In(ny),
		base.Add(2 * time.Hour).In(ny),
		base.In(time.FixedZone("IST", 5*3600+1800)),
		base.In(time.FixedZone("odd", -(3*3600 + 17))),
		time.Now(), // monotonic reading dropped, Equal still holds
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", 14*3600)),
		time.Date(-4000, 6, 1, 0, 0, 0, 0, time.UTC),
	}
	for _, v := range vals {
		roundTrip(t, c, v, eq)
	}
	got, _, _ := c.Decode(c.Append(nil, time.Time{}))
	if got != (time.Time{}) || !got.IsZero() {
		t.Fatalf("zero time decoded as %#v", got)
	}
	got, _, _ = c.Decode(c.Append(nil, base))
	if got.Location() != time.UTC {
		t.Fatalf("UTC time decoded with location %v", got.Location())
	}
	// Byte-level layout: varint(sec) uvarint(nsec) varint(offset).
	enc := c.Append(nil, time.Unix(1, 5).In(time.FixedZone("", -3600)))
	if want := []byte{0x02, 0x05, 0x9f, 0x38}; !bytes.Equal(enc, want) {
		t.Fatalf("time layout %x, want %x", enc, want)
	}
}

func TestWireLayout(t *testing.T) {
	cases := []struct {
		name string
		got  []byte
		want []byte
	}{
		{"int64 0", Int64().Append(nil, 0), []byte{0x00}},
		{"int64 -1", Int64().Append(nil, -1), []byte{0x01}},
		{"int64 1", Int64().Append(nil, 1), []byte{0x02}},
		{"int64 64", Int64().Append(nil, 64), []byte{0x80, 0x01}},
		{"uint8 200", Uint8().Append(nil, 200), []byte{0xc8, 0x01}},
		{"string", String().Append(nil, "hé"), []byte{0x03, 'h', 0xc3, 0xa9}},
		{"float64 1", Float64().Append(nil, 1), []byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f}},
		{"float32 1", Float32().Append(nil, 1), []byte{0, 0, 0x80, 0x3f}},
		{"bool", Bool().Append(nil, true), []byte{0x01}},
		{"ptr nil", MustFor[*int]().Append(nil, nil), []byte{0x00}},
		{"ptr", MustFor[*int]().Append(nil, new(int)), []byte{0x01, 0x00}},
		{"byte array", MustFor[[3]byte]().Append(nil, [3]byte{1, 2, 3}), []byte{1, 2, 3}},
		{"slice", MustFor[[]int16]().Append(nil, []int16{1, -1}), []byte{0x02, 0x02, 0x01}},
		{"map", MustFor[map[string]bool]().Append(nil, map[string]bool{"b": true, "a": false, "aa": true}),
			[]byte{0x03, 0x01, 'a', 0x00, 0x01, 'b', 0x01, 0x02, 'a', 'a', 0x01}},
		{"struct", MustFor[struct {
			A uint8
			B string
		}]().Append(nil, struct {
			A uint8
			B string
		}{7, "x"}), []byte{0x07, 0x01, 'x'}},
	}
	for _, c := range cases {
		if !bytes.Equal(c.got, c.want) {
			t.Errorf("%s: got %x, want %x", c.name, c.got, c.want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	longLen := append(Uint64().Append(nil, 4000000), make([]byte, 12)...)
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"string length", decErr(String(), longLen),
			"codec: string length 4000000 exceeds remaining 12 bytes at offset 0: corrupt input"},
		{"bytes length", decErr(Bytes(), []byte{0x05, 1}),
			"codec: byte slice length 5 exceeds remaining 1 bytes at offset 0: corrupt input"},
		{"empty", decErr(Int64(), nil), "codec: truncated varint (0 bytes available) at offset 0: corrupt input"},
		{"bool", decErr(Bool(), []byte{2}), "codec: invalid bool byte 0x02 at offset 0: corrupt input"},
		{"overflow", decErr(Uint64(), bytes.Repeat([]byte{0xff}, 11)), "codec: varint overflows 64 bits at offset 0: corrupt input"},
		{"overflow 10th byte", decErr(Uint64(), append(bytes.Repeat([]byte{0xff}, 9), 0x02)), "codec: varint overflows 64 bits at offset 0: corrupt input"},
		{"non-canonical", decErr(Uint64(), []byte{0x80, 0x00}),
			"codec: non-canonical varint (redundant trailing zero byte) at offset 0: corrupt input"},
		{"int8 range", decErr(Int8(), Int64().Append(nil, 200)), "codec: value 200 overflows int8 at offset 0: corrupt input"},
		{"uint16 range", decErr(Uint16(), Uint64().Append(nil, 1<<16)), "codec: value 65536 overflows uint16 at offset 0: corrupt input"},
		{"float64", decErr(Float64(), []byte{1, 2, 3}), "codec: float64 needs 8 bytes, 3 remaining at offset 0: corrupt input"},
		{"nanos", decErr(Time(), []byte{0, 0x80, 0x94, 0xeb, 0xdc, 0x03, 0}),
			"codec: time nanoseconds 1000000000 out of range [0, 999999999] at offset 1: corrupt input"},
		{"struct path", decErr(MustFor[rec](), append([]byte{0x02, 0x01, 'x', 0x02, 0x01, 'a'}, 0x09, 'b')),
			"codec: Tags[1]: string length 9 exceeds remaining 1 bytes at offset 6: corrupt input"},
		{"slice length", decErr(MustFor[[]int64](), []byte{0xff, 0xff, 0xff, 0xff, 0x0f, 0x00}),
			"codec: slice length 4294967295 exceeds remaining 1 bytes at offset 0: corrupt input"},
		{"pointer flag", decErr(MustFor[*int](), []byte{0x07}), "codec: invalid pointer flag 0x07 at offset 0: corrupt input"},
		{"map order", decErr(MustFor[map[string]bool](), []byte{0x02, 0x01, 'b', 0x00, 0x01, 'a', 0x00}),
			"codec: map entry 1 out of canonical order at offset 4: corrupt input"},
		{"map duplicate", decErr(MustFor[map[string]bool](), []byte{0x02, 0x01, 'a', 0x00, 0x01, 'a', 0x01}),
			"codec: duplicate map key in entry 1 at offset 4: corrupt input"},
		{"map value path", decErr(MustFor[map[string]bool](), []byte{0x01, 0x01, 'a', 0x05}),
			"codec: [entry 0 value]: invalid bool byte 0x05 at offset 3: corrupt input"},
		{"tuple path", decErr(pointCodec, []byte{0x02}),
			"codec: [1]: truncated varint (0 bytes available) at offset 1: corrupt input"},
	}
	for _, c := range cases {
		if c.err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if !errors.Is(c.err, ErrCorrupt) {
			t.Errorf("%s: %v does not wrap ErrCorrupt", c.name, c.err)
		}
		if c.err.Error() != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, c.err.Error(), c.want)
		}
	}
}

func decErr[T any](c Codec[T], src []byte) error {
	_, n, err := c.Decode(src)
	if err != nil && n != 0 {
		return errors.New("n != 0 on error")
	}
	return err
}

// ---- Provider, tuples, binary marshalers, named types ----

type Point struct{ X, Y int64 }

func (Point) WeirCodec() Codec[Point] { return pointCodec }

var pointCodec = Tuple2Codec(Int64(), Int64(),
	func(p Point) (int64, int64) { return p.X, p.Y },
	func(x, y int64) Point { return Point{x, y} })

// celsius has an unexported field, so only its hand-written codec (which is
// foreign to this package) makes it encodable.
type celsius struct{ v float64 }

func (celsius) WeirCodec() Codec[celsius] { return celsiusCodec{} }

type celsiusCodec struct{}

func (celsiusCodec) Append(dst []byte, c celsius) []byte { return Float64().Append(dst, c.v) }
func (celsiusCodec) Decode(src []byte) (celsius, int, error) {
	v, n, err := Float64().Decode(src)
	if err == nil && v < -273.15 {
		return celsius{}, 0, errors.New("below absolute zero")
	}
	return celsius{v}, n, err
}

// blob implements only MarshalBinary/UnmarshalBinary and keeps its argument
// (violating the encoding contract) to check that Decode hands it a copy.
type blob struct{ data []byte }

func (b blob) MarshalBinary() ([]byte, error) { return b.data, nil }
func (b *blob) UnmarshalBinary(p []byte) error {
	if len(p) > 0 && p[0] == 0xEE {
		return errors.New("bad blob")
	}
	b.data = p
	return nil
}

type (
	UserID int64
	Kind   string
	Raw    []byte
	Small  uint8
)

type withCustom struct {
	P    Point
	PS   []Point
	C    celsius
	B    blob
	T    time.Time
	Dur  time.Duration
	ID   UserID
	K    Kind
	R    Raw
	S    []Small
	Tri  triple
	Opt  *Point
	Keys map[Point]string
}

type triple struct {
	A string
	B int32
	C bool
}

var tripleCodec = Tuple3Codec(String(), Int32(), Bool(),
	func(t triple) (string, int32, bool) { return t.A, t.B, t.C },
	func(a string, b int32, c bool) triple { return triple{a, b, c} })

func TestProviderAndCustom(t *testing.T) {
	if c := MustFor[Point](); c != pointCodec {
		t.Fatalf("For[Point] did not return the Provider's codec")
	}
	roundTripAll(t, Point{}, Point{math.MinInt64, math.MaxInt64})
	roundTrip(t, tripleCodec, triple{"é", -5, true}, deepEq[triple])
	roundTripAll(t, UserID(-42), UserID(math.MaxInt64))
	roundTripAll(t, Kind(""), Kind("orders"))
	roundTripAll(t, Raw(nil), Raw("xyz"))
	roundTripAll(t, celsius{21.5})
	roundTripAll(t, blob{[]byte("payload")})
	roundTripAll(t, withCustom{}, withCustom{
		P:    Point{1, -2},
		PS:   []Point{{3, 4}, {5, 6}},
		C:    celsius{-40},
		B:    blob{[]byte{1, 2}},
		T:    time.Unix(1700000000, 5).UTC(),
		Dur:  time.Minute,
		ID:   7,
		K:    "k",
		R:    Raw{9},
		S:    []Small{1, 200},
		Tri:  triple{"a", 1, false},
		Opt:  &Point{8, 9},
		Keys: map[Point]string{{1, 1}: "a", {0, 5}: "b", {-1, 0}: "c"},
	})
	// Named basic kinds use the same wire form as the underlying type.
	if a, b := MustFor[UserID]().Append(nil, 300), Int64().Append(nil, 300); !bytes.Equal(a, b) {
		t.Errorf("UserID %x vs int64 %x", a, b)
	}
	if a, b := MustFor[[]Small]().Append(nil, []Small{1, 2}), []byte{2, 1, 2}; !bytes.Equal(a, b) {
		t.Errorf("[]Small %x, want raw bytes %x", a, b)
	}
}

func TestCustomErrors(t *testing.T) {
	c := MustFor[withCustom]()
	v := withCustom{C: celsius{-300}}
	enc := c.Append(nil, v)
	_, _, err := c.Decode(enc)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "below absolute zero") ||
		!strings.Contains(err.Error(), "codec: C: decoding codec.celsius at offset 3") {
		t.Fatalf("foreign codec error: %v", err)
	}
	v = withCustom{B: blob{[]byte{0xEE}}}
	_, _, err = c.Decode(c.Append(nil, v))
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "bad blob") || !strings.HasPrefix(err.Error(), "codec: B: ") {
		t.Fatalf("UnmarshalBinary error: %v", err)
	}
}

func TestNoAliasing(t *testing.T) {
	src := String().Append(nil, "hello")
	s, _, _ := String().Decode(src)
	b, _, _ := Bytes().Decode(Bytes().Append(nil, []byte("hello")))
	bl, _, _ := MustFor[blob]().Decode(MustFor[blob]().Append(nil, blob{[]byte("hello")}))
	rc := MustFor[rec]()
	in := rec{Name: "hello", Tags: []string{"hello"}, Blob: []byte("hello"), Attrs: map[string]int32{"hello": 1}}
	rsrc := rc.Append(nil, in)
	r, _, err := rc.Decode(rsrc)
	if err != nil {
		t.Fatal(err)
	}
	for i := range src {
		src[i] = 0xEE
	}
	for i := range rsrc {
		rsrc[i] = 0xEE
	}
	if s != "hello" || string(b) != "hello" || string(bl.data) != "hello" || !reflect.DeepEqual(r, in) {
		t.Fatalf("decoded values alias src: %q %q %q %#v", s, b, bl.data, r)
	}
}

func TestNamedBasicKinds(t *testing.T) {
	type (
		B   bool
		I   int
		I8  int8
		I16 int16
		I32 int32
		U   uint
		U8  uint8
		U16 uint16
		U32 uint32
		U64 uint64
		UP  uintptr
		F32 float32
		F64 float64
	)
	roundTripAll(t, B(true))
	roundTripAll(t, I(math.MinInt))
	roundTripAll(t, I8(-3))
	roundTripAll(t, I16(-300))
	roundTripAll(t, I32(1<<30))
	roundTripAll(t, U(7))
	roundTripAll(t, U8(255))
	roundTripAll(t, U16(65535))
	roundTripAll(t, U32(1<<31))
	roundTripAll(t, U64(math.MaxUint64))
	roundTripAll(t, UP(9))
	roundTripAll(t, F32(1.5))
	roundTripAll(t, F64(-2.5))
	if a, b := MustFor[F64]().Append(nil, 3), Float64().Append(nil, 3); !bytes.Equal(a, b) {
		t.Errorf("named float64 %x vs float64 %x", a, b)
	}
}

func TestTupleWithForeignCodec(t *testing.T) {
	type reading struct {
		Sensor string
		Temp   celsius
	}
	c := Tuple2Codec(String(), Codec[celsius](celsiusCodec{}),
		func(r reading) (string, celsius) { return r.Sensor, r.Temp },
		func(s string, c celsius) reading { return reading{s, c} })
	roundTrip(t, c, reading{"s1", celsius{20}}, deepEq[reading])
	_, _, err := c.Decode(c.Append(nil, reading{"abc", celsius{-500}}))
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.Offset != 4 || ce.Path != "[1]" || ce.Err == nil || errors.Unwrap(err) == nil {
		t.Fatalf("foreign codec error in tuple: %#v (%v)", ce, err)
	}
	// A lying codec (consumes more than it was given) is caught.
	liar := Tuple2Codec(Codec[celsius](liarCodec{}), Bool(),
		func(r reading) (celsius, bool) { return r.Temp, false },
		func(c celsius, _ bool) reading { return reading{Temp: c} })
	if _, _, err := liar.Decode([]byte{1, 2}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("lying codec: %v", err)
	}
}

type liarCodec struct{}

func (liarCodec) Append(dst []byte, _ celsius) []byte { return dst }
func (liarCodec) Decode(src []byte) (celsius, int, error) {
	return celsius{}, len(src) + 5, nil
}
