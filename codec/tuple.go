package codec

import (
	"reflect"
	"unsafe"
)

// Tuple2Codec returns a codec for T that encodes the two components returned
// by split one after the other (no header), and rebuilds T with join. It lets
// a tuple or small struct type defined elsewhere implement Provider cheaply:
//
//	func (p Point) WeirCodec() codec.Codec[Point] { return pointCodec }
//	var pointCodec = codec.Tuple2Codec(codec.Int64(), codec.Int64(),
//		func(p Point) (int64, int64) { return p.X, p.Y },
//		func(x, y int64) Point { return Point{x, y} })
//
// It panics if an argument is nil.
func Tuple2Codec[A, B, T any](a Codec[A], b Codec[B], split func(T) (A, B), join func(A, B) T) Codec[T] {
	if a == nil || b == nil || split == nil || join == nil {
		panic("codec: Tuple2Codec: nil argument")
	}
	return &tuple2[A, B, T]{a: typedOf(a), b: typedOf(b), split: split, join: join}
}

type tuple2[A, B, T any] struct {
	a     typedCodec[A]
	b     typedCodec[B]
	split func(T) (A, B)
	join  func(A, B) T
}

func (c *tuple2[A, B, T]) Append(dst []byte, v T) []byte     { return c.appendD(dst, v, 0) }
func (c *tuple2[A, B, T]) Decode(src []byte) (T, int, error) { return decodeTop[T](c, src) }
func (c *tuple2[A, B, T]) goType() reflect.Type              { return reflect.TypeFor[T]() }
func (c *tuple2[A, B, T]) minSize() int                      { return c.a.minSize() + c.b.minSize() }

func (c *tuple2[A, B, T]) appendD(dst []byte, v T, d int) []byte {
	a, b := c.split(v)
	dst = c.a.appendD(dst, a, d)
	return c.b.appendD(dst, b, d)
}

func (c *tuple2[A, B, T]) decodeAt(src []byte, pos, d int) (T, int, error) {
	var zero T
	a, pos, err := c.a.decodeAt(src, pos, d)
	if err != nil {
		return zero, pos, withPath(err, "[0]")
	}
	b, pos, err := c.b.decodeAt(src, pos, d)
	if err != nil {
		return zero, pos, withPath(err, "[1]")
	}
	return c.join(a, b), pos, nil
}

func (c *tuple2[A, B, T]) appendRaw(dst []byte, p unsafe.Pointer, d int) []byte {
	return c.appendD(dst, *(*T)(p), d)
}

func (c *tuple2[A, B, T]) decodeRaw(src []byte, pos int, p unsafe.Pointer, d int) (int, error) {
	v, pos, err := c.decodeAt(src, pos, d)
	if err == nil {
		*(*T)(p) = v
	}
	return pos, err
}

// Tuple3Codec is Tuple2Codec for three components.
func Tuple3Codec[A, B, C, T any](a Codec[A], b Codec[B], c Codec[C], split func(T) (A, B, C), join func(A, B, C) T) Codec[T] {
	if a == nil || b == nil || c == nil || split == nil || join == nil {
		panic("codec: Tuple3Codec: nil argument")
	}
	return &tuple3[A, B, C, T]{a: typedOf(a), b: typedOf(b), c: typedOf(c), split: split, join: join}
}

type tuple3[A, B, C, T any] struct {
	a     typedCodec[A]
	b     typedCodec[B]
	c     typedCodec[C]
	split func(T) (A, B, C)
	join  func(A, B, C) T
}

func (c *tuple3[A, B, C, T]) Append(dst []byte, v T) []byte     { return c.appendD(dst, v, 0) }
func (c *tuple3[A, B, C, T]) Decode(src []byte) (T, int, error) { return decodeTop[T](c, src) }
func (c *tuple3[A, B, C, T]) goType() reflect.Type              { return reflect.TypeFor[T]() }
func (c *tuple3[A, B, C, T]) minSize() int {
	return c.a.minSize() + c.b.minSize() + c.c.minSize()
}

func (c *tuple3[A, B, C, T]) appendD(dst []byte, v T, d int) []byte {
	a, b, cc := c.split(v)
	dst = c.a.appendD(dst, a, d)
	dst = c.b.appendD(dst, b, d)
	return c.c.appendD(dst, cc, d)
}

func (c *tuple3[A, B, C, T]) decodeAt(src []byte, pos, d int) (T, int, error) {
	var zero T
	a, pos, err := c.a.decodeAt(src, pos, d)
	if err != nil {
		return zero, pos, withPath(err, "[0]")
	}
	b, pos, err := c.b.decodeAt(src, pos, d)
	if err != nil {
		return zero, pos, withPath(err, "[1]")
	}
	cc, pos, err := c.c.decodeAt(src, pos, d)
	if err != nil {
		return zero, pos, withPath(err, "[2]")
	}
	return c.join(a, b, cc), pos, nil
}

func (c *tuple3[A, B, C, T]) appendRaw(dst []byte, p unsafe.Pointer, d int) []byte {
	return c.appendD(dst, *(*T)(p), d)
}

func (c *tuple3[A, B, C, T]) decodeRaw(src []byte, pos int, p unsafe.Pointer, d int) (int, error) {
	v, pos, err := c.decodeAt(src, pos, d)
	if err == nil {
		*(*T)(p) = v
	}
	return pos, err
}
