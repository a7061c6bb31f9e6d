package codec

import (
	"bytes"
	"errors"
	"math"
	"testing"
	"time"
)

// checkDecode asserts the decoder contract on arbitrary input: no panic, an
// error wraps ErrCorrupt with n == 0, and a successful decode re-encodes to
// exactly the consumed bytes (the encoding is canonical), which decode again.
func checkDecode[T any](t *testing.T, c Codec[T], data []byte) {
	t.Helper()
	v, n, err := c.Decode(data)
	if err != nil {
		if !errors.Is(err, ErrCorrupt) || n != 0 {
			t.Fatalf("Decode(%x): n=%d err=%v, want n=0 and ErrCorrupt", data, n, err)
		}
		return
	}
	if n < 0 || n > len(data) {
		t.Fatalf("Decode(%x) consumed %d bytes", data, n)
	}
	enc := c.Append(nil, v)
	if !bytes.Equal(enc, data[:n]) {
		t.Fatalf("Decode(%x) then Append = %x, want %x", data, enc, data[:n])
	}
	if _, n2, err := c.Decode(enc); err != nil || n2 != len(enc) {
		t.Fatalf("re-decode of %x: n=%d err=%v", enc, n2, err)
	}
}

func seed[T any](f *testing.F, c Codec[T], vals ...T) {
	for _, v := range vals {
		f.Add(c.Append(nil, v))
	}
}

func FuzzString(f *testing.F) {
	seed(f, String(), "", "a", "héllo 世界", "\xff\x00")
	f.Add([]byte{0x80, 0x00})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f, 'x'})
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, String(), data)
		checkDecode(t, Bytes(), data)
	})
}

func FuzzInts(f *testing.F) {
	seed(f, Int64(), 0, -1, math.MaxInt64, math.MinInt64)
	seed(f, Uint64(), 127, 128, math.MaxUint64)
	f.Add(bytes.Repeat([]byte{0xff}, 10))
	f.Add([]byte{0x80, 0x80, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, Int(), data)
		checkDecode(t, Int8(), data)
		checkDecode(t, Int16(), data)
		checkDecode(t, Int32(), data)
		checkDecode(t, Int64(), data)
		checkDecode(t, Uint(), data)
		checkDecode(t, Uint8(), data)
		checkDecode(t, Uint16(), data)
		checkDecode(t, Uint32(), data)
		checkDecode(t, Uint64(), data)
		checkDecode(t, Uintptr(), data)
		checkDecode(t, Duration(), data)
		checkDecode(t, Bool(), data)
		checkDecode(t, MustFor[UserID](), data)
	})
}

func FuzzFloats(f *testing.F) {
	seed(f, Float64(), 0, math.NaN(), math.Inf(-1))
	seed(f, Float32(), 1.5)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, Float32(), data)
		checkDecode(t, Float64(), data)
	})
}

func FuzzTime(f *testing.F) {
	seed(f, Time(), time.Time{}, time.Unix(0, 0), time.Unix(1700000000, 123).In(time.FixedZone("", 5*3600+1800)),
		time.Date(9999, 1, 1, 0, 0, 0, 0, time.FixedZone("", -7*3600)))
	f.Add(appendVarint(appendUvarint(appendVarint(nil, math.MaxInt64), 999999999), math.MinInt32))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, Time(), data)
	})
}

func FuzzRecord(f *testing.F) {
	c := MustFor[rec]()
	seed(f, c, rec{}, sampleRec())
	seed(f, MustFor[withCustom](), withCustom{Keys: map[Point]string{{1, 2}: "x"}})
	f.Add([]byte{0x00, 0x00, 0x00, 0x02, 0x01, 'a', 0x00, 0x01, 'a', 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, c, data)
		checkDecode(t, MustFor[*node](), data)
		checkDecode(t, MustFor[tree](), data)
		checkDecode(t, MustFor[map[string][]int16](), data)
		checkDecode(t, MustFor[map[float64]bool](), data)
		checkDecode(t, MustFor[[]struct{}](), data)
		checkDecode(t, MustFor[struct {
			A []Point
			T triple
			N [2]*uint8
		}](), data)
	})
}

func FuzzTuple2(f *testing.F) {
	seed(f, pointCodec, Point{}, Point{-1, math.MaxInt64})
	seed(f, tripleCodec, triple{"a", 1, true})
	str2 := Tuple2Codec(String(), MustFor[[]Point](),
		func(p struct {
			S  string
			PS []Point
		}) (string, []Point) {
			return p.S, p.PS
		},
		func(s string, ps []Point) struct {
			S  string
			PS []Point
		} {
			return struct {
				S  string
				PS []Point
			}{s, ps}
		})
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, pointCodec, data)
		checkDecode(t, tripleCodec, data)
		checkDecode(t, str2, data)
	})
}
