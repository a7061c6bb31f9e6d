package codec

import (
	"encoding"
	"fmt"
	"reflect"
	"unsafe"
)

var (
	appenderType    = reflect.TypeFor[encoding.BinaryAppender]()
	marshalerType   = reflect.TypeFor[encoding.BinaryMarshaler]()
	unmarshalerType = reflect.TypeFor[encoding.BinaryUnmarshaler]()
)

// isBinary reports whether *t implements encoding.BinaryUnmarshaler and one
// of encoding.BinaryAppender or encoding.BinaryMarshaler.
func isBinary(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return pt.Implements(unmarshalerType) && (pt.Implements(appenderType) || pt.Implements(marshalerType))
}

// appendBinary appends uvarint(len) + the binary form of the value x points
// to (x is a *T stored in an interface). Append has no error result, so a
// marshaling failure panics.
func appendBinary(dst []byte, x any) []byte {
	start := len(dst)
	var err error
	if a, ok := x.(encoding.BinaryAppender); ok {
		dst, err = a.AppendBinary(dst)
	} else {
		var b []byte
		b, err = x.(encoding.BinaryMarshaler).MarshalBinary()
		dst = append(dst, b...)
	}
	if err != nil {
		panic(fmt.Sprintf("codec: marshaling %T: %v", x, err))
	}
	// Insert the length prefix in front of the payload.
	l := len(dst) - start
	var hdr [maxVarintLen]byte
	h := len(appendUvarint(hdr[:0], uint64(l)))
	dst = append(dst, hdr[:h]...)
	copy(dst[start+h:], dst[start:start+l])
	copy(dst[start:], hdr[:h])
	return dst
}

// decodeBinary decodes a length-prefixed payload at src[pos] into x (a *T).
// The payload handed to UnmarshalBinary is a private copy, so even an
// implementation that keeps its argument does not alias src.
func decodeBinary(src []byte, pos int, x any) (int, error) {
	l, p, err := readLen(src, pos, "binary payload", 1)
	if err != nil {
		return pos, err
	}
	var buf []byte // nil for an empty payload
	if l > 0 {
		buf = make([]byte, l)
		copy(buf, src[p:])
	}
	if err := x.(encoding.BinaryUnmarshaler).UnmarshalBinary(buf); err != nil {
		return pos, &CorruptError{Offset: p, Reason: fmt.Sprintf("%T.UnmarshalBinary failed", x), Err: err}
	}
	return p + l, nil
}

// binaryCodec serves a type whose pointer implements the encoding binary
// interfaces.
type binaryCodec[T any] struct{}

func (c binaryCodec[T]) Append(dst []byte, v T) []byte     { return c.appendD(dst, v, 0) }
func (c binaryCodec[T]) Decode(src []byte) (T, int, error) { return decodeTop[T](c, src) }
func (binaryCodec[T]) goType() reflect.Type                { return reflect.TypeFor[T]() }
func (binaryCodec[T]) minSize() int                        { return 1 }
func (binaryCodec[T]) appendD(dst []byte, v T, _ int) []byte {
	return appendBinary(dst, &v)
}

func (binaryCodec[T]) decodeAt(src []byte, pos, _ int) (T, int, error) {
	var v T
	pos, err := decodeBinary(src, pos, &v)
	if err != nil {
		var zero T
		return zero, pos, err
	}
	return v, pos, nil
}

func (binaryCodec[T]) appendRaw(dst []byte, p unsafe.Pointer, _ int) []byte {
	return appendBinary(dst, (*T)(p))
}

func (binaryCodec[T]) decodeRaw(src []byte, pos int, p unsafe.Pointer, _ int) (int, error) {
	var zero T
	*(*T)(p) = zero // UnmarshalBinary may assume a zero receiver
	return decodeBinary(src, pos, (*T)(p))
}

// binaryRaw is the reflection-side equivalent of binaryCodec for a type only
// known at run time.
type binaryRaw struct{ t reflect.Type }

func (b binaryRaw) goType() reflect.Type { return b.t }
func (b binaryRaw) minSize() int         { return 1 }
func (b binaryRaw) appendRaw(dst []byte, p unsafe.Pointer, _ int) []byte {
	return appendBinary(dst, reflect.NewAt(b.t, p).Interface())
}

func (b binaryRaw) decodeRaw(src []byte, pos int, p unsafe.Pointer, _ int) (int, error) {
	v := reflect.NewAt(b.t, p)
	v.Elem().SetZero() // UnmarshalBinary may assume a zero receiver
	return decodeBinary(src, pos, v.Interface())
}
