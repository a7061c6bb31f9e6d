package codec

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"time"
	"unsafe"
)

// plan is the precomputed encoder/decoder of one type for the reflection
// fallback. Per-value work is a walk over plans using raw pointers; no
// reflect.Value is built on the hot path except to allocate slices, maps and
// pointees while decoding.
type plan struct {
	t   reflect.Type
	enc func(dst []byte, p unsafe.Pointer, depth int) []byte
	dec func(src []byte, pos int, p unsafe.Pointer, depth int) (int, error)
	// min is a lower bound of the encoded size in bytes (0 when unknown).
	min int
	// empty reports that values encode to zero bytes (e.g. struct{}).
	empty bool
	// skips reports that the type contains fields skipped with `codec:"-"`,
	// so that distinct values may share an encoding.
	skips bool
}

// unit is the number of bytes each element is assumed to take at least when
// bounding a decoded length by the remaining input.
func (p *plan) unit() int {
	switch {
	case p.min > 0:
		return p.min
	case p.empty:
		return 0
	}
	return 1
}

type sliceHeader struct {
	data unsafe.Pointer
	len  int
	cap  int
}

type unsupportedError struct{ msg string }

func (e *unsupportedError) Error() string        { return e.msg + ": unsupported type" }
func (e *unsupportedError) Is(target error) bool { return target == ErrUnsupported }

var planCache sync.Map // reflect.Type -> *plan

func planFor(t reflect.Type) (*plan, error) {
	if p, ok := planCache.Load(t); ok {
		return p.(*plan), nil
	}
	b := &builder{building: map[reflect.Type]*plan{}}
	p, err := b.build(t, "")
	if err != nil {
		return nil, &unsupportedError{fmt.Sprintf("codec: cannot encode %v: %v", t, err)}
	}
	// Publish only complete plans; a concurrent builder may have published
	// equivalent ones, which is harmless.
	for bt, bp := range b.building {
		planCache.LoadOrStore(bt, bp)
	}
	return p, nil
}

type builder struct {
	building map[reflect.Type]*plan
}

func (b *builder) build(t reflect.Type, path string) (*plan, error) {
	if p, ok := planCache.Load(t); ok {
		return p.(*plan), nil
	}
	if p, ok := b.building[t]; ok {
		return p, nil // recursive type: filled in by the outer call
	}
	p := &plan{t: t}
	b.building[t] = p
	if err := b.fill(p, t, path); err != nil {
		return nil, err
	}
	return p, nil
}

func where(path string) string {
	if path == "" {
		return "the type itself"
	}
	return "field " + path
}

func (p *plan) setRaw(rc rawCodec) {
	p.enc = rc.appendRaw
	p.dec = rc.decodeRaw
	p.min = rc.minSize()
}

func (b *builder) fill(p *plan, t reflect.Type, path string) error {
	rc, err := customFor(t)
	if err != nil {
		return fmt.Errorf("%s (%v): %w", where(path), t, err)
	}
	if rc == nil {
		rc = leafFor(t)
	}
	if rc != nil {
		p.setRaw(rc)
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		return b.fillStruct(p, t, path)
	case reflect.Array:
		return b.fillArray(p, t, path)
	case reflect.Slice:
		return b.fillSlice(p, t, path)
	case reflect.Pointer:
		return b.fillPointer(p, t, path)
	case reflect.Map:
		return b.fillMap(p, t, path)
	case reflect.Interface:
		return fmt.Errorf("%s has interface type %v, whose concrete type cannot be known when decoding; use a concrete type or implement codec.Provider on the enclosing type", where(path), t)
	}
	return fmt.Errorf("%s has type %v: %v kinds cannot be encoded; implement codec.Provider on the enclosing type or tag the field `codec:\"-\"`", where(path), t, t.Kind())
}

// ---- custom codecs inside reflected types ----

// providerMethod returns the WeirCodec method of t if it has the shape of
// Provider[t] (value receiver, returns an interface with Codec[t]'s methods).
func providerMethod(t reflect.Type) (reflect.Method, bool) {
	if t.Kind() == reflect.Interface {
		return reflect.Method{}, false
	}
	m, ok := t.MethodByName("WeirCodec")
	if !ok || m.Type.NumIn() != 1 || m.Type.NumOut() != 1 {
		return reflect.Method{}, false
	}
	ct := m.Type.Out(0)
	if ct.Kind() != reflect.Interface || ct.NumMethod() != 2 {
		return reflect.Method{}, false
	}
	byteSlice := reflect.TypeFor[[]byte]()
	a, ok1 := ct.MethodByName("Append")
	d, ok2 := ct.MethodByName("Decode")
	if !ok1 || !ok2 {
		return reflect.Method{}, false
	}
	at, dt := a.Type, d.Type
	if at.NumIn() != 2 || at.In(0) != byteSlice || at.In(1) != t || at.NumOut() != 1 || at.Out(0) != byteSlice {
		return reflect.Method{}, false
	}
	if dt.NumIn() != 1 || dt.In(0) != byteSlice || dt.NumOut() != 3 || dt.Out(0) != t ||
		dt.Out(1) != reflect.TypeFor[int]() || dt.Out(2) != reflect.TypeFor[error]() {
		return reflect.Method{}, false
	}
	return m, true
}

// hasCustom reports whether t brings its own encoding (Provider or binary
// marshaling), so that e.g. a []T of a uint8 kind is not sent as raw bytes.
func hasCustom(t reflect.Type) bool {
	_, ok := providerMethod(t)
	return ok || t == timeType || isBinary(t)
}

var timeType = reflect.TypeFor[time.Time]()

// customFor returns the codec t brings itself, following the order of For.
func customFor(t reflect.Type) (rawCodec, error) {
	if m, ok := providerMethod(t); ok {
		cv := m.Func.Call([]reflect.Value{reflect.Zero(t)})[0]
		if cv.IsNil() {
			return nil, fmt.Errorf("%v.WeirCodec returned nil", t)
		}
		if rc, ok := cv.Interface().(rawCodec); ok && rc.goType() == t {
			return rc, nil
		}
		return &reflectUser{t: t, app: cv.MethodByName("Append"), dec: cv.MethodByName("Decode")}, nil
	}
	if t == timeType {
		return timeCodec{}, nil
	}
	if isBinary(t) {
		return binaryRaw{t}, nil
	}
	return nil, nil
}

// reflectUser calls a codec implemented outside this package for a type
// only known at run time (slow path: reflect calls).
type reflectUser struct {
	t        reflect.Type
	app, dec reflect.Value
}

func (u *reflectUser) goType() reflect.Type { return u.t }
func (u *reflectUser) minSize() int         { return 0 }
func (u *reflectUser) appendRaw(dst []byte, p unsafe.Pointer, _ int) []byte {
	out := u.app.Call([]reflect.Value{reflect.ValueOf(dst), reflect.NewAt(u.t, p).Elem()})
	return out[0].Bytes()
}

func (u *reflectUser) decodeRaw(src []byte, pos int, p unsafe.Pointer, _ int) (int, error) {
	out := u.dec.Call([]reflect.Value{reflect.ValueOf(src[pos:])})
	if !out[2].IsNil() {
		return pos, shiftErr(out[2].Interface().(error), pos, u.t)
	}
	n := out[1].Int()
	if n < 0 || n > int64(len(src)-pos) {
		return pos, corruptf(pos, "codec for %v reported %d bytes consumed of %d", u.t, n, len(src)-pos)
	}
	reflect.NewAt(u.t, p).Elem().Set(out[0])
	return pos + int(n), nil
}

// ---- structs ----

type fieldPlan struct {
	off  uintptr
	p    *plan
	name string
}

func (b *builder) fillStruct(p *plan, t reflect.Type, path string) error {
	var fields []fieldPlan
	p.empty = true
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Name == "_" {
			continue // padding; ignored by == as well
		}
		fpath := sf.Name
		if path != "" {
			fpath = path + "." + sf.Name
		}
		if sf.Tag.Get("codec") == "-" {
			p.skips = true
			continue
		}
		if !sf.IsExported() {
			return fmt.Errorf("field %s of %v is unexported; export it, tag it `codec:\"-\"`, or implement codec.Provider on %v", fpath, t, t)
		}
		fp, err := b.build(sf.Type, fpath)
		if err != nil {
			return err
		}
		fields = append(fields, fieldPlan{off: sf.Offset, p: fp, name: sf.Name})
		p.min = satAdd(p.min, fp.min)
		p.empty = p.empty && fp.empty
		p.skips = p.skips || fp.skips
	}
	p.enc = func(dst []byte, ptr unsafe.Pointer, depth int) []byte {
		for i := range fields {
			f := &fields[i]
			dst = f.p.enc(dst, unsafe.Add(ptr, f.off), depth)
		}
		return dst
	}
	p.dec = func(src []byte, pos int, ptr unsafe.Pointer, depth int) (int, error) {
		var err error
		for i := range fields {
			f := &fields[i]
			if pos, err = f.p.dec(src, pos, unsafe.Add(ptr, f.off), depth); err != nil {
				return pos, withPath(err, f.name)
			}
		}
		return pos, nil
	}
	return nil
}

func satAdd(a, b int) int {
	if a > math.MaxInt32 || b > math.MaxInt32 {
		return math.MaxInt32
	}
	return min(a+b, math.MaxInt32)
}

func index(i int) string { return "[" + strconv.Itoa(i) + "]" }

// ---- arrays ----

func (b *builder) fillArray(p *plan, t reflect.Type, path string) error {
	n := t.Len()
	et := t.Elem()
	if et.Kind() == reflect.Uint8 && !hasCustom(et) {
		// Byte arrays are raw bytes, no length prefix.
		p.min = n
		p.empty = n == 0
		p.enc = func(dst []byte, ptr unsafe.Pointer, _ int) []byte {
			return append(dst, unsafe.Slice((*byte)(ptr), n)...)
		}
		p.dec = func(src []byte, pos int, ptr unsafe.Pointer, _ int) (int, error) {
			if len(src)-pos < n {
				return pos, corruptf(pos, "%v needs %d bytes, %d remaining", t, n, len(src)-pos)
			}
			copy(unsafe.Slice((*byte)(ptr), n), src[pos:])
			return pos + n, nil
		}
		return nil
	}
	ep, err := b.build(et, path+"[]")
	if err != nil {
		return err
	}
	es := et.Size()
	p.empty = n == 0 || ep.empty
	p.skips = ep.skips
	if n > 0 && ep.min > math.MaxInt32/n {
		p.min = math.MaxInt32
	} else {
		p.min = n * ep.min
	}
	p.enc = func(dst []byte, ptr unsafe.Pointer, depth int) []byte {
		for i := range n {
			dst = ep.enc(dst, unsafe.Add(ptr, uintptr(i)*es), depth)
		}
		return dst
	}
	p.dec = func(src []byte, pos int, ptr unsafe.Pointer, depth int) (int, error) {
		var err error
		for i := range n {
			if pos, err = ep.dec(src, pos, unsafe.Add(ptr, uintptr(i)*es), depth); err != nil {
				return pos, withPath(err, index(i))
			}
		}
		return pos, nil
	}
	return nil
}

// ---- slices ----

func tooDeep(t reflect.Type) string {
	return fmt.Sprintf("codec: %v: value nesting deeper than %d levels (cyclic pointers?)", t, MaxDepth)
}

func (b *builder) fillSlice(p *plan, t reflect.Type, path string) error {
	et := t.Elem()
	ep, err := b.build(et, path+"[]")
	if err != nil {
		return err
	}
	if ep.empty && ep.skips && et.Size() > 0 {
		return fmt.Errorf("%s (%v): elements of type %v encode to zero bytes (all fields skipped) but occupy memory, so decoding could not bound the slice length", where(path), t, et)
	}
	es := et.Size()
	p.min = 1
	p.skips = ep.skips
	p.enc = func(dst []byte, ptr unsafe.Pointer, depth int) []byte {
		h := (*sliceHeader)(ptr)
		dst = appendUvarint(dst, uint64(h.len))
		if h.len == 0 {
			return dst
		}
		if ep.empty {
			return dst
		}
		if depth >= MaxDepth {
			panic(tooDeep(t))
		}
		for i := range h.len {
			dst = ep.enc(dst, unsafe.Add(h.data, uintptr(i)*es), depth+1)
		}
		return dst
	}
	p.dec = func(src []byte, pos int, ptr unsafe.Pointer, depth int) (int, error) {
		n, next, err := readLen(src, pos, "slice", ep.unit())
		if err != nil {
			return pos, err
		}
		h := (*sliceHeader)(ptr)
		if n == 0 {
			*h = sliceHeader{}
			return next, nil
		}
		if depth >= MaxDepth {
			return pos, corruptf(pos, "nesting deeper than %d levels", MaxDepth)
		}
		if es > 0 && uint64(n) > uint64(math.MaxInt/2)/uint64(es) {
			return pos, corruptf(pos, "slice length %d too large", n)
		}
		// Grow the destination in place: one allocation, for the array.
		*h = sliceHeader{}
		sv := reflect.NewAt(t, ptr).Elem()
		sv.Grow(n)
		sv.SetLen(n)
		if !ep.empty {
			data := h.data
			for i := range n {
				if next, err = ep.dec(src, next, unsafe.Add(data, uintptr(i)*es), depth+1); err != nil {
					return next, withPath(err, index(i))
				}
			}
		}
		return next, nil
	}
	return nil
}

// ---- pointers ----

func (b *builder) fillPointer(p *plan, t reflect.Type, path string) error {
	et := t.Elem()
	ep, err := b.build(et, path)
	if err != nil {
		return err
	}
	p.min = 1
	p.skips = ep.skips
	p.enc = func(dst []byte, ptr unsafe.Pointer, depth int) []byte {
		q := *(*unsafe.Pointer)(ptr)
		if q == nil {
			return append(dst, 0)
		}
		if depth >= MaxDepth {
			panic(tooDeep(t))
		}
		return ep.enc(append(dst, 1), q, depth+1)
	}
	p.dec = func(src []byte, pos int, ptr unsafe.Pointer, depth int) (int, error) {
		if pos >= len(src) {
			return pos, corruptf(pos, "truncated pointer flag")
		}
		switch src[pos] {
		case 0:
			*(*unsafe.Pointer)(ptr) = nil
			return pos + 1, nil
		case 1:
			if depth >= MaxDepth {
				return pos, corruptf(pos, "nesting deeper than %d levels", MaxDepth)
			}
			q := reflect.New(et).UnsafePointer()
			next, err := ep.dec(src, pos+1, q, depth+1)
			if err != nil {
				return next, err
			}
			*(*unsafe.Pointer)(ptr) = q
			return next, nil
		}
		return pos, corruptf(pos, "invalid pointer flag 0x%02x", src[pos])
	}
	return nil
}

// ---- maps ----

type mapEnt struct{ k, v, end int } // offsets into the scratch copy

type mapScratch struct {
	buf  []byte
	ents []mapEnt
}

var scratchPool = sync.Pool{New: func() any { return new(mapScratch) }}

type mapTemps struct {
	k, v reflect.Value // pointers to temporary key and value
	it   reflect.MapIter
}

func (b *builder) fillMap(p *plan, t reflect.Type, path string) error {
	kt, vt := t.Key(), t.Elem()
	kp, err := b.build(kt, path+"[key]")
	if err != nil {
		return err
	}
	vp, err := b.build(vt, path+"[value]")
	if err != nil {
		return err
	}
	if kp.skips {
		return fmt.Errorf("%s (%v): key type %v has fields skipped with `codec:\"-\"`, so distinct keys could collide", where(path), t, kt)
	}
	p.min = 1
	p.skips = vp.skips
	temps := sync.Pool{New: func() any { return &mapTemps{k: reflect.New(kt), v: reflect.New(vt)} }}

	p.enc = func(dst []byte, ptr unsafe.Pointer, depth int) []byte {
		m := reflect.NewAt(t, ptr).Elem()
		n := m.Len()
		dst = appendUvarint(dst, uint64(n))
		if n == 0 {
			return dst
		}
		if depth >= MaxDepth {
			panic(tooDeep(t))
		}
		tm := temps.Get().(*mapTemps)
		sc := scratchPool.Get().(*mapScratch)
		k, v := tm.k.Elem(), tm.v.Elem()
		kptr, vptr := tm.k.UnsafePointer(), tm.v.UnsafePointer()
		start := len(dst)
		ents := sc.ents[:0]
		tm.it.Reset(m)
		for tm.it.Next() {
			k.SetIterKey(&tm.it)
			v.SetIterValue(&tm.it)
			ks := len(dst)
			dst = kp.enc(dst, kptr, depth+1)
			vs := len(dst)
			dst = vp.enc(dst, vptr, depth+1)
			ents = append(ents, mapEnt{ks - start, vs - start, len(dst) - start})
		}
		tm.it.Reset(reflect.Value{})
		k.SetZero()
		v.SetZero()
		temps.Put(tm)
		if len(ents) > 1 {
			// Entries in ascending order of (key bytes, value bytes).
			buf := append(sc.buf[:0], dst[start:]...)
			slices.SortFunc(ents, func(a, b mapEnt) int {
				if c := bytes.Compare(buf[a.k:a.v], buf[b.k:b.v]); c != 0 {
					return c
				}
				return bytes.Compare(buf[a.v:a.end], buf[b.v:b.end])
			})
			w := start
			for _, e := range ents {
				w += copy(dst[w:], buf[e.k:e.end])
			}
			sc.buf = buf
		}
		sc.ents = ents
		if cap(sc.buf) <= 1<<16 && cap(sc.ents) <= 1<<12 {
			scratchPool.Put(sc)
		}
		return dst
	}

	unit := func() int { return kp.unit() + vp.unit() }
	p.dec = func(src []byte, pos int, ptr unsafe.Pointer, depth int) (int, error) {
		u := unit()
		n, next, err := readLen(src, pos, "map", u)
		if err != nil {
			return pos, err
		}
		mv := reflect.NewAt(t, ptr).Elem()
		if n == 0 {
			mv.SetZero()
			return next, nil
		}
		if u == 0 && n > 1 {
			// Keys and values encode to nothing: at most one distinct key.
			return pos, corruptf(pos, "map length %d impossible for %v", n, t)
		}
		if depth >= MaxDepth {
			return pos, corruptf(pos, "nesting deeper than %d levels", MaxDepth)
		}
		m := reflect.MakeMapWithSize(t, n)
		tm := temps.Get().(*mapTemps)
		next, err = decodeEntries(src, next, n, m, tm, kp, vp, depth)
		tm.k.Elem().SetZero()
		tm.v.Elem().SetZero()
		temps.Put(tm)
		if err != nil {
			return next, err
		}
		mv.Set(m)
		return next, nil
	}
	return nil
}

// ---- top-level codec ----

// reflectCodec serves T through its plan. Values are staged in pooled *T so
// that neither Append nor Decode allocates a copy of T per call.
type reflectCodec[T any] struct {
	p    *plan
	pool sync.Pool
}

func newReflectCodec[T any](p *plan) *reflectCodec[T] {
	c := &reflectCodec[T]{p: p}
	c.pool.New = func() any { return new(T) }
	return c
}

func (c *reflectCodec[T]) Append(dst []byte, v T) []byte     { return c.appendD(dst, v, 0) }
func (c *reflectCodec[T]) Decode(src []byte) (T, int, error) { return decodeTop[T](c, src) }
func (c *reflectCodec[T]) goType() reflect.Type              { return c.p.t }
func (c *reflectCodec[T]) minSize() int                      { return c.p.min }

func (c *reflectCodec[T]) appendD(dst []byte, v T, d int) []byte {
	tmp := c.pool.Get().(*T)
	*tmp = v
	dst = c.p.enc(dst, unsafe.Pointer(tmp), d)
	var zero T
	*tmp = zero
	c.pool.Put(tmp)
	return dst
}

func (c *reflectCodec[T]) decodeAt(src []byte, pos, d int) (T, int, error) {
	tmp := c.pool.Get().(*T)
	pos, err := c.p.dec(src, pos, unsafe.Pointer(tmp), d)
	v := *tmp
	var zero T
	*tmp = zero
	c.pool.Put(tmp)
	if err != nil {
		return zero, pos, err
	}
	return v, pos, nil
}

func (c *reflectCodec[T]) appendRaw(dst []byte, p unsafe.Pointer, d int) []byte {
	return c.p.enc(dst, p, d)
}

func (c *reflectCodec[T]) decodeRaw(src []byte, pos int, p unsafe.Pointer, d int) (int, error) {
	return c.p.dec(src, pos, p, d)
}

// decodeEntries decodes n map entries into m, checking canonical order.
func decodeEntries(src []byte, next, n int, m reflect.Value, tm *mapTemps, kp, vp *plan, depth int) (int, error) {
	kptr, vptr := tm.k.UnsafePointer(), tm.v.UnsafePointer()
	ke, ve := tm.k.Elem(), tm.v.Elem()
	var pk, pv, pe int // previous entry: key start, value start, end
	var err error
	for i := range n {
		ks := next
		if next, err = kp.dec(src, next, kptr, depth+1); err != nil {
			return next, withPath(err, "[entry "+strconv.Itoa(i)+" key]")
		}
		vs := next
		if next, err = vp.dec(src, next, vptr, depth+1); err != nil {
			return next, withPath(err, "[entry "+strconv.Itoa(i)+" value]")
		}
		if i > 0 {
			c := bytes.Compare(src[pk:pv], src[ks:vs])
			if c > 0 || c == 0 && bytes.Compare(src[pv:pe], src[vs:next]) > 0 {
				return ks, corruptf(ks, "map entry %d out of canonical order", i)
			}
		}
		pk, pv, pe = ks, vs, next
		m.SetMapIndex(ke, ve)
		if m.Len() != i+1 {
			return ks, corruptf(ks, "duplicate map key in entry %d", i)
		}
	}
	return next, nil
}
