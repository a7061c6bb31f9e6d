package codec

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// Codec encodes and decodes values of one type. Implementations are safe for
// concurrent use (stateless).
type Codec[T any] interface {
	// Append appends the encoding of v to dst and returns the extended slice.
	Append(dst []byte, v T) []byte
	// Decode decodes one value from the start of src and returns it with the
	// number of bytes consumed. Bad input returns an error wrapping ErrCorrupt
	// and never panics; decoded strings/slices never alias src.
	Decode(src []byte) (v T, n int, err error)
}

// Provider is implemented (with a value receiver) by a user type that brings
// its own codec; For[T] uses it before anything else, and the reflection
// fallback uses it for fields of that type.
type Provider[T any] interface {
	WeirCodec() Codec[T]
}

// ErrCorrupt is wrapped by every error returned by a Decode method of this
// package (test with errors.Is). The concrete error is a *CorruptError.
var ErrCorrupt = errors.New("codec: corrupt input")

// ErrUnsupported is wrapped by the errors of For when a type cannot be encoded
// (func, chan, interface, complex or unsafe pointer kinds, unexported fields...).
var ErrUnsupported = errors.New("codec: unsupported type")

// MaxDepth bounds the nesting of pointers, slices and maps inside one value
// (only recursive types can get near it). Decode rejects deeper input with
// ErrCorrupt; Append panics on deeper values, which are almost always cyclic
// pointer graphs that would otherwise recurse forever.
const MaxDepth = 512

// CorruptError describes why an input could not be decoded.
//
// Its text reads "codec: [Path: ]Reason[ at offset N][: Err]: corrupt input",
// e.g. "codec: Items[3].Name: string length 4000000 exceeds remaining 12 bytes
// at offset 17: corrupt input".
type CorruptError struct {
	// Offset is the byte offset, relative to the src given to Decode, of the
	// item that could not be decoded (for a length: of its prefix), or -1 if
	// unknown.
	Offset int
	// Path locates the item within the value for reflected types, e.g.
	// "Items[3].Name" or "Attrs[entry 2 key]"; empty at top level.
	Path string
	// Reason says what was wrong.
	Reason string
	// Err is the underlying error, if any (e.g. from UnmarshalBinary or a
	// user codec).
	Err error
}

func (e *CorruptError) Error() string {
	var b strings.Builder
	b.WriteString("codec: ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	if e.Offset >= 0 {
		b.WriteString(" at offset ")
		b.WriteString(strconv.Itoa(e.Offset))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	b.WriteString(": corrupt input")
	return b.String()
}

// Is reports whether target is ErrCorrupt.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// Unwrap returns the underlying error, if any.
func (e *CorruptError) Unwrap() error { return e.Err }

func corruptf(off int, format string, args ...any) error {
	return &CorruptError{Offset: off, Reason: fmt.Sprintf(format, args...)}
}

// shiftErr converts an error returned by a codec that decoded src[base:] into
// one with offsets relative to src. Errors that are not *CorruptError (from
// user codecs) are wrapped so that they match ErrCorrupt.
func shiftErr(err error, base int, t reflect.Type) error {
	var ce *CorruptError
	if errors.As(err, &ce) {
		c := *ce
		if c.Offset >= 0 {
			c.Offset += base
		}
		return &c
	}
	return &CorruptError{Offset: base, Reason: "decoding " + t.String(), Err: err}
}

// withPath prefixes the Path of a *CorruptError with elem (a field name or
// an index such as "[3]"). Only called on fresh errors on the error path.
func withPath(err error, elem string) error {
	ce, ok := err.(*CorruptError)
	if !ok {
		return err
	}
	switch {
	case ce.Path == "":
		ce.Path = elem
	case strings.HasPrefix(ce.Path, "["):
		ce.Path = elem + ce.Path
	default:
		ce.Path = elem + "." + ce.Path
	}
	return err
}

// rawCodec is implemented by every codec of this package. It lets the
// reflection fallback embed them without knowing their type parameter.
// Positions are absolute offsets into src, so errors carry absolute offsets.
type rawCodec interface {
	goType() reflect.Type
	// minSize is a lower bound of the encoded size (0 when unknown).
	minSize() int
	appendRaw(dst []byte, p unsafe.Pointer, depth int) []byte
	// decodeRaw decodes the value starting at src[pos] into *p and returns
	// the position just after it.
	decodeRaw(src []byte, pos int, p unsafe.Pointer, depth int) (int, error)
}

// typedCodec is the typed, depth-aware form of rawCodec.
type typedCodec[T any] interface {
	Codec[T]
	rawCodec
	appendD(dst []byte, v T, depth int) []byte
	decodeAt(src []byte, pos, depth int) (T, int, error)
}

// typedOf returns c as a typedCodec, wrapping foreign implementations.
func typedOf[T any](c Codec[T]) typedCodec[T] {
	if tc, ok := c.(typedCodec[T]); ok {
		return tc
	}
	return userCodec[T]{c}
}

// userCodec adapts a Codec implemented outside this package: it translates
// offsets and errors and checks the consumed count.
type userCodec[T any] struct{ c Codec[T] }

func (u userCodec[T]) Append(dst []byte, v T) []byte         { return u.c.Append(dst, v) }
func (u userCodec[T]) Decode(src []byte) (T, int, error)     { return u.c.Decode(src) }
func (u userCodec[T]) goType() reflect.Type                  { return reflect.TypeFor[T]() }
func (u userCodec[T]) minSize() int                          { return 0 }
func (u userCodec[T]) appendD(dst []byte, v T, _ int) []byte { return u.c.Append(dst, v) }
func (u userCodec[T]) appendRaw(dst []byte, p unsafe.Pointer, _ int) []byte {
	return u.c.Append(dst, *(*T)(p))
}

func (u userCodec[T]) decodeAt(src []byte, pos, _ int) (T, int, error) {
	var zero T
	v, n, err := u.c.Decode(src[pos:])
	if err != nil {
		return zero, pos, shiftErr(err, pos, u.goType())
	}
	if n < 0 || n > len(src)-pos {
		return zero, pos, corruptf(pos, "codec for %v reported %d bytes consumed of %d", u.goType(), n, len(src)-pos)
	}
	return v, pos + n, nil
}

func (u userCodec[T]) decodeRaw(src []byte, pos int, p unsafe.Pointer, depth int) (int, error) {
	v, pos, err := u.decodeAt(src, pos, depth)
	if err == nil {
		*(*T)(p) = v
	}
	return pos, err
}

// decodeTop is the Decode method shared by the typed codecs of this package.
func decodeTop[T any](c typedCodec[T], src []byte) (T, int, error) {
	v, n, err := c.decodeAt(src, 0, 0)
	if err != nil {
		var zero T
		return zero, 0, err
	}
	return v, n, nil
}

var forCache sync.Map // reflect.Type -> Codec[T] (as any)

// For returns the default codec for T, or an error wrapping ErrUnsupported
// that names the type and the reason. Lookup order:
//
//  1. T implements Provider[T]: its codec.
//  2. Built-in types (bool, ints, uints, floats, string, []byte, time.Time,
//     time.Duration): hand-written codecs, no reflection.
//  3. *T implements encoding.BinaryAppender or encoding.BinaryMarshaler, and
//     encoding.BinaryUnmarshaler: length-prefixed binary form.
//  4. Named types of basic kinds: the built-in codec of the underlying kind.
//  5. Reflection over plain data (structs with exported fields, arrays,
//     slices, maps, pointers), with a per-type plan built once.
//
// The result (except a Provider's codec) is cached, so calling For on a hot
// path costs a map lookup; prefer storing the codec.
func For[T any]() (Codec[T], error) {
	var zero T
	if p, ok := any(zero).(Provider[T]); ok {
		c := p.WeirCodec()
		if c == nil {
			return nil, fmt.Errorf("codec: %v: WeirCodec returned nil: %w", reflect.TypeFor[T](), ErrUnsupported)
		}
		return c, nil
	}
	t := reflect.TypeFor[T]()
	if c, ok := forCache.Load(t); ok {
		return c.(Codec[T]), nil
	}
	c, err := build[T](t)
	if err != nil {
		return nil, err
	}
	actual, _ := forCache.LoadOrStore(t, c)
	return actual.(Codec[T]), nil
}

// MustFor is like For but panics on error. For package-level variables and
// tests only.
func MustFor[T any]() Codec[T] {
	c, err := For[T]()
	if err != nil {
		panic(err)
	}
	return c
}

func build[T any](t reflect.Type) (Codec[T], error) {
	if c := builtinFor[T](); c != nil {
		return c, nil
	}
	if isBinary(t) {
		return binaryCodec[T]{}, nil
	}
	if c := castFor[T](t); c != nil {
		return c, nil
	}
	p, err := planFor(t)
	if err != nil {
		return nil, err
	}
	return newReflectCodec[T](p), nil
}
