package weir

import "github.com/weirstream/weir/codec"

// Tuple2 is a pair, as Flink's Tuple2 (fields f0, f1).
type Tuple2[A, B any] struct {
	F0 A
	F1 B
}

// WeirCodec implements codec.Provider.
func (Tuple2[A, B]) WeirCodec() codec.Codec[Tuple2[A, B]] {
	return codec.Tuple2Codec(codec.MustFor[A](), codec.MustFor[B](),
		func(t Tuple2[A, B]) (A, B) { return t.F0, t.F1 },
		func(a A, b B) Tuple2[A, B] { return Tuple2[A, B]{a, b} })
}

// Tuple3 is a triple, as Flink's Tuple3.
type Tuple3[A, B, C any] struct {
	F0 A
	F1 B
	F2 C
}

// WeirCodec implements codec.Provider.
func (Tuple3[A, B, C]) WeirCodec() codec.Codec[Tuple3[A, B, C]] {
	return codec.Tuple3Codec(codec.MustFor[A](), codec.MustFor[B](), codec.MustFor[C](),
		func(t Tuple3[A, B, C]) (A, B, C) { return t.F0, t.F1, t.F2 },
		func(a A, b B, c C) Tuple3[A, B, C] { return Tuple3[A, B, C]{a, b, c} })
}
