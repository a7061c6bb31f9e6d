package codec

import (
	"testing"
	"time"
)

var (
	sinkString string
	sinkInt    int64
	sinkRec    benchRec
)

type benchRec struct {
	Key    string
	Seq    int64
	Amount float64
	At     time.Time
	Tags   []string
	Attrs  map[string]string
	Parent *Point
}

func sampleBenchRec() benchRec {
	return benchRec{
		Key: "user-123456", Seq: 987654321, Amount: 12.5,
		At:     time.Unix(1700000000, 42).UTC(),
		Tags:   []string{"eu", "mobile"},
		Attrs:  map[string]string{"plan": "pro", "src": "ad"},
		Parent: &Point{1, 2},
	}
}

func BenchmarkStringAppend(b *testing.B) {
	c := MustFor[string]()
	s := "a typical record key of moderate length"
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = c.Append(buf[:0], s)
	}
}

func BenchmarkStringDecode(b *testing.B) {
	c := MustFor[string]()
	src := c.Append(nil, "a typical record key of moderate length")
	b.ReportAllocs()
	for b.Loop() {
		sinkString, _, _ = c.Decode(src)
	}
}

func BenchmarkInt64(b *testing.B) {
	c := MustFor[int64]()
	buf := make([]byte, 0, 16)
	b.Run("Append", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf = c.Append(buf[:0], -1234567890123)
		}
	})
	src := c.Append(nil, -1234567890123)
	b.Run("Decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkInt, _, _ = c.Decode(src)
		}
	})
}

func BenchmarkStructReflect(b *testing.B) {
	c := MustFor[benchRec]()
	v := sampleBenchRec()
	buf := c.Append(nil, v)
	b.Run("Append", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf = c.Append(buf[:0], v)
		}
	})
	src := c.Append(nil, v)
	b.Run("Decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkRec, _, _ = c.Decode(src)
		}
	})
	flat := MustFor[struct {
		Key    string
		Seq    int64
		Amount float64
		Ok     bool
	}]()
	fv := struct {
		Key    string
		Seq    int64
		Amount float64
		Ok     bool
	}{"user-123456", 987654321, 12.5, true}
	b.Run("FlatAppend", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf = flat.Append(buf[:0], fv)
		}
	})
	fsrc := flat.Append(nil, fv)
	b.Run("FlatDecode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			fv, _, _ = flat.Decode(fsrc)
		}
	})
}
