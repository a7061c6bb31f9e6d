package codec

import (
	"encoding/binary"
	"math"
	"reflect"
	"sync/atomic"
	"time"
	"unsafe"
)

// ---- varints ----

const maxVarintLen = 10

func appendUvarint(dst []byte, x uint64) []byte {
	for x >= 0x80 {
		dst = append(dst, byte(x)|0x80)
		x >>= 7
	}
	return append(dst, byte(x))
}

func appendVarint(dst []byte, v int64) []byte {
	return appendUvarint(dst, uint64(v<<1)^uint64(v>>63))
}

// readUvarint decodes a canonical (minimal-length) uvarint at src[pos] and
// returns it with the position after it.
func readUvarint(src []byte, pos int) (uint64, int, error) {
	if pos < len(src) && src[pos] < 0x80 {
		return uint64(src[pos]), pos + 1, nil
	}
	return readUvarintSlow(src, pos)
}

func readUvarintSlow(src []byte, pos int) (uint64, int, error) {
	if pos < 0 || pos > len(src) {
		return 0, pos, corruptf(pos, "truncated varint (0 bytes available)")
	}
	b := src[pos:]
	var x uint64
	var s uint
	for i, c := range b {
		if i == maxVarintLen {
			break
		}
		if c < 0x80 {
			if i == maxVarintLen-1 && c > 1 {
				break
			}
			if c == 0 && i > 0 {
				return 0, pos, corruptf(pos, "non-canonical varint (redundant trailing zero byte)")
			}
			return x | uint64(c)<<s, pos + i + 1, nil
		}
		x |= uint64(c&0x7f) << s
		s += 7
	}
	if len(b) < maxVarintLen {
		return 0, pos, corruptf(pos, "truncated varint (%d bytes available)", len(b))
	}
	return 0, pos, corruptf(pos, "varint overflows 64 bits")
}

func readVarint(src []byte, pos int) (int64, int, error) {
	ux, n, err := readUvarint(src, pos)
	return int64(ux>>1) ^ -int64(ux&1), n, err
}

// readLen reads a uvarint length and checks that count items of at least
// unit bytes each fit in the remaining input (unit 0 skips the check).
func readLen(src []byte, pos int, what string, unit int) (int, int, error) {
	l, p, err := readUvarint(src, pos)
	if err != nil {
		return 0, pos, err
	}
	if unit > 0 {
		rem := len(src) - p
		if l > uint64(rem/unit) {
			if unit == 1 {
				return 0, pos, corruptf(pos, "%s length %d exceeds remaining %d bytes", what, l, rem)
			}
			return 0, pos, corruptf(pos, "%s length %d exceeds remaining %d bytes (each element needs at least %d)", what, l, rem, unit)
		}
	} else if l > math.MaxInt {
		return 0, pos, corruptf(pos, "%s length %d overflows int", what, l)
	}
	return int(l), p, nil
}

// ---- leaf codecs ----

type boolCodec struct{}

func (c boolCodec) Append(dst []byte, v bool) []byte { return c.appendD(dst, v, 0) }
func (c boolCodec) Decode(src []byte) (bool, int, error) {
	v, n, err := c.decodeAt(src, 0, 0)
	if err != nil {
		var zero bool
		return zero, 0, err
	}
	return v, n, nil
}
func (boolCodec) goType() reflect.Type { return reflect.TypeFor[bool]() }
func (boolCodec) minSize() int         { return 1 }
func (boolCodec) appendD(dst []byte, v bool, _ int) []byte {
	if v {
		return append(dst, 1)
	}
	return append(dst, 0)
}

func (boolCodec) decodeAt(src []byte, pos, _ int) (bool, int, error) {
	if pos >= len(src) {
		return false, pos, corruptf(pos, "truncated bool")
	}
	switch src[pos] {
	case 0:
		return false, pos + 1, nil
	case 1:
		return true, pos + 1, nil
	}
	return false, pos, corruptf(pos, "invalid bool byte 0x%02x", src[pos])
}

func (c boolCodec) appendRaw(dst []byte, p unsafe.Pointer, d int) []byte {
	return c.appendD(dst, *(*bool)(p), d)
}

func (c boolCodec) decodeRaw(src []byte, pos int, p unsafe.Pointer, d int) (int, error) {
	v, pos, err := c.decodeAt(src, pos, d)
	*(*bool)(p) = v
	return pos, err
}

type signed interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64
}

type unsigned interface {
	~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr
}

// intCodec encodes signed integers as zigzag varints.
type intCodec[I signed] struct{}

func (c intCodec[I]) Append(dst []byte, v I) []byte { return c.appendD(dst, v, 0) }
func (c intCodec[I]) Decode(src []byte) (I, int, error) {
	v, n, err := c.decodeAt(src, 0, 0)
	if err != nil {
		var zero I
		return zero, 0, err
	}
	return v, n, nil
}
func (intCodec[I]) goType() reflect.Type { return reflect.TypeFor[I]() }
func (intCodec[I]) minSize() int         { return 1 }
func (intCodec[I]) appendD(dst []byte, v I, _ int) []byte {
	return appendVarint(dst, int64(v))
}

func (intCodec[I]) decodeAt(src []byte, pos, _ int) (I, int, error) {
	x, n, err := readVarint(src, pos)
	if err != nil {
		return 0, pos, err
	}
	if int64(I(x)) != x {
		return 0, pos, corruptf(pos, "value %d overflows %v", x, reflect.TypeFor[I]())
	}
	return I(x), n, nil
}

func (intCodec[I]) appendRaw(dst []byte, p unsafe.Pointer, _ int) []byte {
	return appendVarint(dst, int64(*(*I)(p)))
}

func (c intCodec[I]) decodeRaw(src []byte, pos int, p unsafe.Pointer, d int) (int, error) {
	v, pos, err := c.decodeAt(src, pos, d)
	*(*I)(p) = v
	return pos, err
}

// uintCodec encodes unsigned integers as uvarints.
type uintCodec[U unsigned] struct{}

func (c uintCodec[U]) Append(dst []byte, v U) []byte { return c.appendD(dst, v, 0) }
func (c uintCodec[U]) Decode(src []byte) (U, int, error) {
	v, n, err := c.decodeAt(src, 0, 0)
	if err != nil {
		var zero U
		return zero, 0, err
	}
	return v, n, nil
}
func (uintCodec[U]) goType() reflect.Type { return reflect.TypeFor[U]() }
func (uintCodec[U]) minSize() int         { return 1 }
func (uintCodec[U]) appendD(dst []byte, v U, _ int) []byte {
	return appendUvarint(dst, uint64(v))
}

func (uintCodec[U]) decodeAt(src []byte, pos, _ int) (U, int, error) {
	x, n, err := readUvarint(src, pos)
	if err != nil {
		return 0, pos, err
	}
	if uint64(U(x)) != x {
		return 0, pos, corruptf(pos, "value %d overflows %v", x, reflect.TypeFor[U]())
	}
	return U(x), n, nil
}

func (uintCodec[U]) appendRaw(dst []byte, p unsafe.Pointer, _ int) []byte {
	return appendUvarint(dst, uint64(*(*U)(p)))
}

func (c uintCodec[U]) decodeRaw(src []byte, pos int, p unsafe.Pointer, d int) (int, error) {
	v, pos, err := c.decodeAt(src, pos, d)
	*(*U)(p) = v
	return pos, err
}

// float32Codec encodes the IEEE-754 bits, 4 bytes little-endian.
type float32Codec struct{}

func (c float32Codec) Append(dst []byte, v float32) []byte { return c.appendD(dst, v, 0) }
func (c float32Codec) Decode(src []byte) (float32, int, error) {
	v, n, err := c.decodeAt(src, 0, 0)
	if err != nil {
		var zero float32
		return zero, 0, err
	}
	return v, n, nil
}
func (float32Codec) goType() reflect.Type { return reflect.TypeFor[float32]() }
func (float32Codec) minSize() int         { return 4 }
func (float32Codec) appendD(dst []byte, v float32, _ int) []byte {
	return binary.LittleEndian.AppendUint32(dst, math.Float32bits(v))
}

func (float32Codec) decodeAt(src []byte, pos, _ int) (float32, int, error) {
	if len(src)-pos < 4 {
		return 0, pos, corruptf(pos, "float32 needs 4 bytes, %d remaining", len(src)-pos)
	}
	return math.Float32frombits(binary.LittleEndian.Uint32(src[pos:])), pos + 4, nil
}

func (c float32Codec) appendRaw(dst []byte, p unsafe.Pointer, d int) []byte {
	return c.appendD(dst, *(*float32)(p), d)
}

func (c float32Codec) decodeRaw(src []byte, pos int, p unsafe.Pointer, d int) (int, error) {
	v, pos, err := c.decodeAt(src, pos, d)
	*(*float32)(p) = v
	return pos, err
}

// float64Codec encodes the IEEE-754 bits, 8 bytes little-endian.
type float64Codec struct{}

func (c float64Codec) Append(dst []byte, v float64) []byte { return c.appendD(dst, v, 0) }
func (c float64Codec) Decode(src []byte) (float64, int, error) {
	v, n, err := c.decodeAt(src, 0, 0)
	if err != nil {
		var zero float64
		return zero, 0, err
	}
	return v, n, nil
}
func (float64Codec) goType() reflect.Type { return reflect.TypeFor[float64]() }
func (float64Codec) minSize() int         { return 8 }
func (float64Codec) appendD(dst []byte, v float64, _ int) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
}

func (float64Codec) decodeAt(src []byte, pos, _ int) (float64, int, error) {
	if len(src)-pos < 8 {
		return 0, pos, corruptf(pos, "float64 needs 8 bytes, %d remaining", len(src)-pos)
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(src[pos:])), pos + 8, nil
}

func (c float64Codec) appendRaw(dst []byte, p unsafe.Pointer, d int) []byte {
	return c.appendD(dst, *(*float64)(p), d)
}

func (c float64Codec) decodeRaw(src []byte, pos int, p unsafe.Pointer, d int) (int, error) {
	v, pos, err := c.decodeAt(src, pos, d)
	*(*float64)(p) = v
	return pos, err
}

// stringCodec encodes uvarint(len) followed by the raw bytes.
type stringCodec struct{}

func (c stringCodec) Append(dst []byte, v string) []byte { return c.appendD(dst, v, 0) }
func (c stringCodec) Decode(src []byte) (string, int, error) {
	v, n, err := c.decodeAt(src, 0, 0)
	if err != nil {
		var zero string
		return zero, 0, err
	}
	return v, n, nil
}
func (stringCodec) goType() reflect.Type { return reflect.TypeFor[string]() }
func (stringCodec) minSize() int         { return 1 }
func (stringCodec) appendD(dst []byte, v string, _ int) []byte {
	return append(appendUvarint(dst, uint64(len(v))), v...)
}

func (stringCodec) decodeAt(src []byte, pos, _ int) (string, int, error) {
	l, p, err := readLen(src, pos, "string", 1)
	if err != nil {
		return "", pos, err
	}
	return string(src[p : p+l]), p + l, nil
}

func (c stringCodec) appendRaw(dst []byte, p unsafe.Pointer, d int) []byte {
	return c.appendD(dst, *(*string)(p), d)
}

func (c stringCodec) decodeRaw(src []byte, pos int, p unsafe.Pointer, d int) (int, error) {
	v, pos, err := c.decodeAt(src, pos, d)
	*(*string)(p) = v
	return pos, err
}

// bytesCodec encodes uvarint(len) followed by the raw bytes. Nil and empty
// both encode as length 0 and decode as nil.
type bytesCodec struct{}

func (c bytesCodec) Append(dst []byte, v []byte) []byte { return c.appendD(dst, v, 0) }
func (c bytesCodec) Decode(src []byte) ([]byte, int, error) {
	v, n, err := c.decodeAt(src, 0, 0)
	if err != nil {
		var zero []byte
		return zero, 0, err
	}
	return v, n, nil
}
func (bytesCodec) goType() reflect.Type { return reflect.TypeFor[[]byte]() }
func (bytesCodec) minSize() int         { return 1 }
func (bytesCodec) appendD(dst []byte, v []byte, _ int) []byte {
	return append(appendUvarint(dst, uint64(len(v))), v...)
}

func (bytesCodec) decodeAt(src []byte, pos, _ int) ([]byte, int, error) {
	l, p, err := readLen(src, pos, "byte slice", 1)
	if err != nil || l == 0 {
		return nil, p, err
	}
	b := make([]byte, l)
	copy(b, src[p:])
	return b, p + l, nil
}

func (c bytesCodec) appendRaw(dst []byte, p unsafe.Pointer, d int) []byte {
	return c.appendD(dst, *(*[]byte)(p), d)
}

func (c bytesCodec) decodeRaw(src []byte, pos int, p unsafe.Pointer, d int) (int, error) {
	v, pos, err := c.decodeAt(src, pos, d)
	*(*[]byte)(p) = v
	return pos, err
}

// timeCodec encodes varint(Unix seconds), uvarint(nanoseconds) and
// varint(zone offset in seconds east of UTC).
type timeCodec struct{}

func (c timeCodec) Append(dst []byte, v time.Time) []byte { return c.appendD(dst, v, 0) }
func (c timeCodec) Decode(src []byte) (time.Time, int, error) {
	v, n, err := c.decodeAt(src, 0, 0)
	if err != nil {
		var zero time.Time
		return zero, 0, err
	}
	return v, n, nil
}
func (timeCodec) goType() reflect.Type { return reflect.TypeFor[time.Time]() }
func (timeCodec) minSize() int         { return 3 }
func (timeCodec) appendD(dst []byte, t time.Time, _ int) []byte {
	_, off := t.Zone()
	dst = appendVarint(dst, t.Unix())
	dst = appendUvarint(dst, uint64(t.Nanosecond()))
	return appendVarint(dst, int64(off))
}

func (timeCodec) decodeAt(src []byte, pos, _ int) (time.Time, int, error) {
	sec, p, err := readVarint(src, pos)
	if err != nil {
		return time.Time{}, pos, err
	}
	ns, p2, err := readUvarint(src, p)
	if err != nil {
		return time.Time{}, pos, err
	}
	if ns >= 1e9 {
		return time.Time{}, pos, corruptf(p, "time nanoseconds %d out of range [0, 999999999]", ns)
	}
	off, p3, err := readVarint(src, p2)
	if err != nil {
		return time.Time{}, pos, err
	}
	if off < math.MinInt32 || off > math.MaxInt32 {
		return time.Time{}, pos, corruptf(p2, "time zone offset %d out of range", off)
	}
	t := time.Unix(sec, int64(ns))
	if off == 0 {
		return t.UTC(), p3, nil
	}
	return t.In(fixedZone(int(off))), p3, nil
}

func (c timeCodec) appendRaw(dst []byte, p unsafe.Pointer, d int) []byte {
	return c.appendD(dst, *(*time.Time)(p), d)
}

func (c timeCodec) decodeRaw(src []byte, pos int, p unsafe.Pointer, d int) (int, error) {
	v, pos, err := c.decodeAt(src, pos, d)
	*(*time.Time)(p) = v
	return pos, err
}

// zoneCache holds unnamed fixed zones for offsets that are multiples of 15
// minutes within ±24h, so that decoding a time does not allocate a Location.
var zoneCache [2*24*4 + 1]atomic.Pointer[time.Location]

func fixedZone(off int) *time.Location {
	if off%900 != 0 || off < -24*3600 || off > 24*3600 {
		return time.FixedZone("", off)
	}
	slot := &zoneCache[off/900+24*4]
	if l := slot.Load(); l != nil {
		return l
	}
	l := time.FixedZone("", off)
	slot.Store(l)
	return l
}

// ---- exported constructors ----

// Bool returns the codec for bool: one byte, 0 or 1.
func Bool() Codec[bool] { return boolCodec{} }

// Int returns the codec for int: zigzag varint of the 64-bit value.
func Int() Codec[int] { return intCodec[int]{} }

// Int8 returns the codec for int8: zigzag varint.
func Int8() Codec[int8] { return intCodec[int8]{} }

// Int16 returns the codec for int16: zigzag varint.
func Int16() Codec[int16] { return intCodec[int16]{} }

// Int32 returns the codec for int32: zigzag varint.
func Int32() Codec[int32] { return intCodec[int32]{} }

// Int64 returns the codec for int64: zigzag varint.
func Int64() Codec[int64] { return intCodec[int64]{} }

// Uint returns the codec for uint: uvarint.
func Uint() Codec[uint] { return uintCodec[uint]{} }

// Uint8 returns the codec for uint8: uvarint (values >= 128 take 2 bytes).
func Uint8() Codec[uint8] { return uintCodec[uint8]{} }

// Uint16 returns the codec for uint16: uvarint.
func Uint16() Codec[uint16] { return uintCodec[uint16]{} }

// Uint32 returns the codec for uint32: uvarint.
func Uint32() Codec[uint32] { return uintCodec[uint32]{} }

// Uint64 returns the codec for uint64: uvarint.
func Uint64() Codec[uint64] { return uintCodec[uint64]{} }

// Uintptr returns the codec for uintptr: uvarint.
func Uintptr() Codec[uintptr] { return uintCodec[uintptr]{} }

// Float32 returns the codec for float32: 4 bytes, IEEE-754 bits little-endian.
func Float32() Codec[float32] { return float32Codec{} }

// Float64 returns the codec for float64: 8 bytes, IEEE-754 bits little-endian.
func Float64() Codec[float64] { return float64Codec{} }

// String returns the codec for string: uvarint length, then the bytes.
func String() Codec[string] { return stringCodec{} }

// Bytes returns the codec for []byte: uvarint length, then the bytes. Nil and
// empty slices both decode as nil.
func Bytes() Codec[[]byte] { return bytesCodec{} }

// Time returns the codec for time.Time: varint Unix seconds, uvarint
// nanoseconds, varint zone offset in seconds. The decoded time is Equal to
// the original and has the same offset; its Location is UTC for offset 0
// and an unnamed fixed zone otherwise. Monotonic readings are dropped.
func Time() Codec[time.Time] { return timeCodec{} }

// Duration returns the codec for time.Duration: zigzag varint nanoseconds.
func Duration() Codec[time.Duration] { return intCodec[time.Duration]{} }

func builtinFor[T any]() Codec[T] {
	var zero T
	var c any
	switch any(zero).(type) {
	case bool:
		c = boolCodec{}
	case int:
		c = intCodec[int]{}
	case int8:
		c = intCodec[int8]{}
	case int16:
		c = intCodec[int16]{}
	case int32:
		c = intCodec[int32]{}
	case int64:
		c = intCodec[int64]{}
	case uint:
		c = uintCodec[uint]{}
	case uint8:
		c = uintCodec[uint8]{}
	case uint16:
		c = uintCodec[uint16]{}
	case uint32:
		c = uintCodec[uint32]{}
	case uint64:
		c = uintCodec[uint64]{}
	case uintptr:
		c = uintCodec[uintptr]{}
	case float32:
		c = float32Codec{}
	case float64:
		c = float64Codec{}
	case string:
		c = stringCodec{}
	case []byte:
		c = bytesCodec{}
	case time.Time:
		c = timeCodec{}
	case time.Duration:
		c = intCodec[time.Duration]{}
	default:
		return nil
	}
	return c.(Codec[T])
}

// leafFor returns the built-in codec for an unnamed basic type, used for
// named types of basic kinds (type UserID int64) and by the reflection plans.
func leafFor(t reflect.Type) rawCodec {
	switch t.Kind() {
	case reflect.Bool:
		return boolCodec{}
	case reflect.Int:
		return intCodec[int]{}
	case reflect.Int8:
		return intCodec[int8]{}
	case reflect.Int16:
		return intCodec[int16]{}
	case reflect.Int32:
		return intCodec[int32]{}
	case reflect.Int64:
		return intCodec[int64]{}
	case reflect.Uint:
		return uintCodec[uint]{}
	case reflect.Uint8:
		return uintCodec[uint8]{}
	case reflect.Uint16:
		return uintCodec[uint16]{}
	case reflect.Uint32:
		return uintCodec[uint32]{}
	case reflect.Uint64:
		return uintCodec[uint64]{}
	case reflect.Uintptr:
		return uintCodec[uintptr]{}
	case reflect.Float32:
		return float32Codec{}
	case reflect.Float64:
		return float64Codec{}
	case reflect.String:
		return stringCodec{}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !hasCustom(t.Elem()) {
			return bytesCodec{}
		}
	}
	return nil
}

// castCodec serves a named type T through the codec of its underlying type U
// (identical memory layout), without reflection per value.
type castCodec[T, U any] struct{ inner typedCodec[U] }

func (c castCodec[T, U]) Append(dst []byte, v T) []byte {
	return c.inner.appendD(dst, *(*U)(unsafe.Pointer(&v)), 0)
}
func (c castCodec[T, U]) Decode(src []byte) (T, int, error) { return decodeTop[T](c, src) }
func (c castCodec[T, U]) goType() reflect.Type              { return reflect.TypeFor[T]() }
func (c castCodec[T, U]) minSize() int                      { return c.inner.minSize() }
func (c castCodec[T, U]) appendD(dst []byte, v T, d int) []byte {
	return c.inner.appendD(dst, *(*U)(unsafe.Pointer(&v)), d)
}

func (c castCodec[T, U]) decodeAt(src []byte, pos, d int) (T, int, error) {
	u, pos, err := c.inner.decodeAt(src, pos, d)
	return *(*T)(unsafe.Pointer(&u)), pos, err
}

func (c castCodec[T, U]) appendRaw(dst []byte, p unsafe.Pointer, d int) []byte {
	return c.inner.appendRaw(dst, p, d)
}

func (c castCodec[T, U]) decodeRaw(src []byte, pos int, p unsafe.Pointer, d int) (int, error) {
	return c.inner.decodeRaw(src, pos, p, d)
}

func castFor[T any](t reflect.Type) Codec[T] {
	switch leafFor(t).(type) {
	case boolCodec:
		return castCodec[T, bool]{boolCodec{}}
	case intCodec[int]:
		return castCodec[T, int]{intCodec[int]{}}
	case intCodec[int8]:
		return castCodec[T, int8]{intCodec[int8]{}}
	case intCodec[int16]:
		return castCodec[T, int16]{intCodec[int16]{}}
	case intCodec[int32]:
		return castCodec[T, int32]{intCodec[int32]{}}
	case intCodec[int64]:
		return castCodec[T, int64]{intCodec[int64]{}}
	case uintCodec[uint]:
		return castCodec[T, uint]{uintCodec[uint]{}}
	case uintCodec[uint8]:
		return castCodec[T, uint8]{uintCodec[uint8]{}}
	case uintCodec[uint16]:
		return castCodec[T, uint16]{uintCodec[uint16]{}}
	case uintCodec[uint32]:
		return castCodec[T, uint32]{uintCodec[uint32]{}}
	case uintCodec[uint64]:
		return castCodec[T, uint64]{uintCodec[uint64]{}}
	case uintCodec[uintptr]:
		return castCodec[T, uintptr]{uintCodec[uintptr]{}}
	case float32Codec:
		return castCodec[T, float32]{float32Codec{}}
	case float64Codec:
		return castCodec[T, float64]{float64Codec{}}
	case stringCodec:
		return castCodec[T, string]{stringCodec{}}
	case bytesCodec:
		return castCodec[T, []byte]{bytesCodec{}}
	}
	return nil
}
