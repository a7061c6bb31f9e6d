package state

import (
	"errors"
	"fmt"
	"maps"
	"unsafe"

	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/internal/keygroup"
)

// ErrKeyOutOfRange means a record reached a subtask that does not own its
// key group: the key selector is not deterministic (it must return the same
// key for the same record in every process).
var ErrKeyOutOfRange = errors.New("key outside this subtask's key groups")

// ErrStateType means a state name was registered twice with different kinds
// or types, or registered with another kind than it was restored with.
var ErrStateType = errors.New("state registered with another type")

// ValueState holds one value per key.
type ValueState[V any] interface {
	// Value returns the current key's value and whether it is set.
	Value() (V, bool, error)
	Update(v V) error
	Clear() error
}

// ListState holds a list of values per key.
type ListState[V any] interface {
	Get() ([]V, error)
	Add(v V) error
	Update(vs []V) error
	Clear() error
}

// MapState holds a map per key.
type MapState[UK comparable, UV any] interface {
	Get(k UK) (UV, bool, error)
	Put(k UK, v UV) error
	Remove(k UK) error
	// Entries returns a copy of the current key's map.
	Entries() (map[UK]UV, error)
	Clear() error
}

// ReducingState folds added values into one with a reduce function.
type ReducingState[V any] interface {
	Get() (V, bool, error)
	Add(v V) error
	Clear() error
}

// AggregatingState folds added inputs into an accumulator and reads out a
// result.
type AggregatingState[IN, OUT any] interface {
	Get() (OUT, bool, error)
	Add(v IN) error
	Clear() error
}

// KeyedBackend stores the keyed state of one keyed operator instance.
type KeyedBackend[K comparable] struct {
	kc     codec.Codec[K]
	maxP   int
	groups keygroup.Range
	cur    K
	curIdx int // current key's group, relative to groups.Start
	tables map[string]table
	// restored holds, per state name, the raw sections of states restored
	// but not registered yet (see Restore).
	restored map[string]*rawState
	// restoredGroups marks the groups (relative to groups.Start) a Restore
	// has already loaded.
	restoredGroups []bool
	// pb is the database of a pebble backend; nil for the heap backend.
	pb *pebbleStore
	// curKey is the current key's encoding.
	curKey []byte
	// budget is the heap backend's memory budget; nil for none.
	budget *budget
	// grown estimates the bytes the heap backend's writes added to the
	// heap since the budget last looked (see budget.go).
	grown int64
}

// table is the type-erased face of a registered state.
type table interface {
	// kind names the state's kind and types for error messages.
	kind() string
	// kindByte is the kind as written in snapshots (kindValue...).
	kindByte() byte
}

// heapTable is a table of the heap backend.
type heapTable interface {
	table
	// snapshot pins every group and returns the immutable view.
	snapshot() tableSnap
	// decode decodes restored payloads (one per group relative to the
	// backend's range; nil where none) and returns the function that
	// installs them. It changes nothing itself.
	decode(name string, raw [][]byte) (commit func(), err error)
}

// NewKeyedBackend returns an empty heap backend for keys encoded with kc,
// owning the key groups r of maxParallelism.
func NewKeyedBackend[K comparable](kc codec.Codec[K], maxParallelism int, r keygroup.Range) *KeyedBackend[K] {
	return &KeyedBackend[K]{
		kc:     kc,
		maxP:   maxParallelism,
		groups: r,
		tables: map[string]table{},
	}
}

// SetCurrentKey makes k the key every state handle reads and writes.
func (b *KeyedBackend[K]) SetCurrentKey(k K) error {
	b.curKey = b.kc.Append(b.curKey[:0], k)
	g := keygroup.Of(b.curKey, b.maxP)
	if !b.groups.Contains(g) {
		return fmt.Errorf("%w: key %v has key group %d, this subtask owns %d-%d", ErrKeyOutOfRange, k, g, b.groups.Start, b.groups.End-1)
	}
	b.cur, b.curIdx = k, g-b.groups.Start
	return nil
}

// CurrentKey is the key set by SetCurrentKey.
func (b *KeyedBackend[K]) CurrentKey() K { return b.cur }

// KeyGroups is the range of key groups the backend owns.
func (b *KeyedBackend[K]) KeyGroups() keygroup.Range { return b.groups }

// register returns the table called name, creating it with mk on first use
// and loading what a Restore kept for that name.
func register[K comparable, T table](b *KeyedBackend[K], name string, mk func() (T, error)) (T, error) {
	var zero T
	if t, ok := b.tables[name]; ok {
		if tt, ok := t.(T); ok {
			return tt, nil
		}
		return zero, fmt.Errorf("%w: state %q is a %s, asked for %s", ErrStateType, name, t.kind(), any(zero).(table).kind())
	}
	t, err := mk()
	if err != nil {
		return zero, fmt.Errorf("state %q: %w", name, err)
	}
	if rs := b.restored[name]; rs != nil {
		if rs.kind != t.kindByte() {
			return zero, fmt.Errorf("%w: state %q was restored as %s, registered as %s", ErrStateType, name, kindName(rs.kind), t.kind())
		}
		commit, err := any(t).(heapTable).decode(name, rs.groups)
		if err != nil {
			return zero, err
		}
		commit()
		delete(b.restored, name)
	}
	b.tables[name] = t
	return t, nil
}

type valueTable[K comparable, V any] struct {
	b  *KeyedBackend[K]
	vc codec.Codec[V]
	// entry estimates the heap bytes of one entry, for the budget.
	entry int64
	cowTable[K, V]
}

func (*valueTable[K, V]) kind() string   { return fmt.Sprintf("ValueState[%T]", *new(V)) }
func (*valueTable[K, V]) kindByte() byte { return kindValue }

// GetValueState returns the value state called name, registering it on
// first use. V needs a codec (codec.For).
func GetValueState[K comparable, V any](b *KeyedBackend[K], name string) (ValueState[V], error) {
	if b.pb != nil {
		return register(b, name, func() (*pebbleValue[K, V], error) {
			vc, err := codec.For[V]()
			return &pebbleValue[K, V]{pebbleTable: newPebbleTable(b, name), vc: vc}, err
		})
	}
	return register(b, name, func() (*valueTable[K, V], error) {
		vc, err := codec.For[V]()
		if err != nil {
			return nil, err
		}
		return &valueTable[K, V]{b: b, vc: vc, entry: slotBytes[K, V]() + 16,
			cowTable: newCowTable[K, V](b.groups.Len(), &b.grown)}, nil
	})
}

func (t *valueTable[K, V]) Value() (V, bool, error) {
	v, ok := t.read(t.b.curIdx)[t.b.cur]
	return v, ok, nil
}

func (t *valueTable[K, V]) Update(v V) error {
	if err := t.b.charge(); err != nil {
		return err
	}
	m := t.write(t.b.curIdx).m
	n := len(m)
	m[t.b.cur] = v
	if len(m) != n {
		t.b.grown += t.entry
	}
	return nil
}

func (t *valueTable[K, V]) Clear() error {
	if t.clearKey(t.b.curIdx, t.b.cur) {
		t.b.grown -= t.entry
	}
	return nil
}

type listTable[K comparable, V any] struct {
	b  *KeyedBackend[K]
	vc codec.Codec[V]
	// entry and elem estimate the heap bytes of a key's list without its
	// elements and of one element, for the budget.
	entry, elem int64
	// A list is only ever appended to in place, beyond the length any
	// snapshot may have captured; every other change (Update) stores a
	// fresh slice. See doc.go.
	cowTable[K, []V]
}

func (*listTable[K, V]) kind() string   { return fmt.Sprintf("ListState[%T]", *new(V)) }
func (*listTable[K, V]) kindByte() byte { return kindList }

// GetListState returns the list state called name. V needs a codec.
func GetListState[K comparable, V any](b *KeyedBackend[K], name string) (ListState[V], error) {
	if b.pb != nil {
		return register(b, name, func() (*pebbleList[K, V], error) {
			vc, err := codec.For[V]()
			return &pebbleList[K, V]{pebbleTable: newPebbleTable(b, name), vc: vc}, err
		})
	}
	return register(b, name, func() (*listTable[K, V], error) {
		vc, err := codec.For[V]()
		if err != nil {
			return nil, err
		}
		return &listTable[K, V]{b: b, vc: vc, entry: slotBytes[K, []V]() + 16, elem: int64(unsafe.Sizeof(*new(V))),
			cowTable: newCowTable[K, []V](b.groups.Len(), &b.grown)}, nil
	})
}

func (t *listTable[K, V]) Get() ([]V, error) {
	return append([]V(nil), t.read(t.b.curIdx)[t.b.cur]...), nil
}

func (t *listTable[K, V]) Add(v V) error {
	if err := t.b.charge(); err != nil {
		return err
	}
	m := t.write(t.b.curIdx).m
	n := len(m)
	// Appending writes at index len, which no snapshot reads: a snapshot
	// holds its own slice header with the length at snapshot time, and the
	// live length of a backing array only grows.
	m[t.b.cur] = append(m[t.b.cur], v)
	t.b.grown += t.elem
	if len(m) != n {
		t.b.grown += t.entry
	}
	return nil
}

func (t *listTable[K, V]) Update(vs []V) error {
	if len(vs) == 0 {
		return t.Clear()
	}
	if err := t.b.charge(); err != nil {
		return err
	}
	m := t.write(t.b.curIdx).m
	t.b.grown += int64(len(vs)-len(m[t.b.cur])) * t.elem
	m[t.b.cur] = append([]V(nil), vs...)
	return nil
}

func (t *listTable[K, V]) Clear() error {
	t.clearKey(t.b.curIdx, t.b.cur)
	return nil
}

// innerMap is a MapState's map for one key. gen is the generation of the
// group map it was created or cloned in: an inner map whose gen differs from
// its group map's may be shared with a snapshot and is cloned before it is
// written.
type innerMap[UK comparable, UV any] struct {
	m   map[UK]UV
	gen uint64
}

type mapTable[K, UK comparable, UV any] struct {
	b   *KeyedBackend[K]
	ukc codec.Codec[UK]
	uvc codec.Codec[UV]
	// entry and elem estimate the heap bytes of a key's map without its
	// entries and of one entry of it, for the budget.
	entry, elem int64
	cowTable[K, *innerMap[UK, UV]]
}

func (*mapTable[K, UK, UV]) kind() string {
	return fmt.Sprintf("MapState[%T]%T", *new(UK), *new(UV))
}
func (*mapTable[K, UK, UV]) kindByte() byte { return kindMap }

// GetMapState returns the map state called name. UK and UV need codecs.
func GetMapState[K, UK comparable, UV any](b *KeyedBackend[K], name string) (MapState[UK, UV], error) {
	if b.pb != nil {
		return register(b, name, func() (*pebbleMap[K, UK, UV], error) {
			ukc, err := codec.For[UK]()
			if err != nil {
				return nil, err
			}
			uvc, err := codec.For[UV]()
			return &pebbleMap[K, UK, UV]{pebbleTable: newPebbleTable(b, name), ukc: ukc, uvc: uvc}, err
		})
	}
	return register(b, name, func() (*mapTable[K, UK, UV], error) {
		ukc, err := codec.For[UK]()
		if err != nil {
			return nil, err
		}
		uvc, err := codec.For[UV]()
		if err != nil {
			return nil, err
		}
		return &mapTable[K, UK, UV]{b: b, ukc: ukc, uvc: uvc, entry: slotBytes[K, *innerMap[UK, UV]]() + 16 + mapOverhead, elem: slotBytes[UK, UV](),
			cowTable: newCowTable[K, *innerMap[UK, UV]](b.groups.Len(), &b.grown)}, nil
	})
}

func (t *mapTable[K, UK, UV]) Get(k UK) (UV, bool, error) {
	var v UV
	var ok bool
	if in := t.read(t.b.curIdx)[t.b.cur]; in != nil {
		v, ok = in.m[k]
	}
	return v, ok, nil
}

// writable returns the current key's inner map for writing, creating it if
// create is set (nil otherwise when absent) and cloning it if it may be
// shared with a snapshot.
func (t *mapTable[K, UK, UV]) writable(create bool) map[UK]UV {
	g := t.write(t.b.curIdx)
	in := g.m[t.b.cur]
	switch {
	case in == nil:
		if !create {
			return nil
		}
		in = &innerMap[UK, UV]{m: map[UK]UV{}, gen: g.gen}
		g.m[t.b.cur] = in
		t.b.grown += t.entry
	case in.gen != g.gen:
		in = &innerMap[UK, UV]{m: maps.Clone(in.m), gen: g.gen}
		g.m[t.b.cur] = in
		t.b.grown += int64(len(in.m)) * slotBytes[UK, UV]()
	}
	return in.m
}

func (t *mapTable[K, UK, UV]) Put(k UK, v UV) error {
	if err := t.b.charge(); err != nil {
		return err
	}
	m := t.writable(true)
	n := len(m)
	m[k] = v
	if len(m) != n {
		t.b.grown += t.elem
	}
	return nil
}

func (t *mapTable[K, UK, UV]) Remove(k UK) error {
	in := t.read(t.b.curIdx)[t.b.cur]
	if in == nil {
		return nil
	}
	if _, ok := in.m[k]; !ok {
		return nil
	}
	if len(in.m) == 1 {
		t.clearKey(t.b.curIdx, t.b.cur)
		return nil
	}
	delete(t.writable(false), k)
	return nil
}

func (t *mapTable[K, UK, UV]) Entries() (map[UK]UV, error) {
	var src map[UK]UV
	if in := t.read(t.b.curIdx)[t.b.cur]; in != nil {
		src = in.m
	}
	out := make(map[UK]UV, len(src))
	maps.Copy(out, src)
	return out, nil
}

func (t *mapTable[K, UK, UV]) Clear() error {
	t.clearKey(t.b.curIdx, t.b.cur)
	return nil
}

type reducing[V any] struct {
	v      ValueState[V]
	reduce func(a, b V) (V, error)
}

// GetReducingState returns a state that folds added values with reduce. It
// is stored as a ValueState[V] called name.
func GetReducingState[K comparable, V any](b *KeyedBackend[K], name string, reduce func(a, b V) (V, error)) (ReducingState[V], error) {
	v, err := GetValueState[K, V](b, name)
	if err != nil {
		return nil, err
	}
	return &reducing[V]{v: v, reduce: reduce}, nil
}

func (r *reducing[V]) Get() (V, bool, error) { return r.v.Value() }
func (r *reducing[V]) Clear() error          { return r.v.Clear() }
func (r *reducing[V]) Add(x V) error {
	cur, ok, err := r.v.Value()
	if err != nil {
		return err
	}
	if ok {
		if x, err = r.reduce(cur, x); err != nil {
			return err
		}
	}
	return r.v.Update(x)
}

// Aggregator folds inputs into an accumulator (Flink's AggregateFunction).
type Aggregator[IN, ACC, OUT any] interface {
	CreateAccumulator() ACC
	Add(in IN, acc ACC) (ACC, error)
	Result(acc ACC) (OUT, error)
}

type aggregating[IN, ACC, OUT any] struct {
	v   ValueState[ACC]
	agg Aggregator[IN, ACC, OUT]
}

// GetAggregatingState returns a state that folds inputs with agg. It is
// stored as a ValueState[ACC] called name, so ACC needs a codec.
func GetAggregatingState[K comparable, IN, ACC, OUT any](b *KeyedBackend[K], name string, agg Aggregator[IN, ACC, OUT]) (AggregatingState[IN, OUT], error) {
	v, err := GetValueState[K, ACC](b, name)
	if err != nil {
		return nil, err
	}
	return &aggregating[IN, ACC, OUT]{v: v, agg: agg}, nil
}

func (a *aggregating[IN, ACC, OUT]) Get() (OUT, bool, error) {
	acc, ok, err := a.v.Value()
	if err != nil || !ok {
		var zero OUT
		return zero, false, err
	}
	out, err := a.agg.Result(acc)
	return out, err == nil, err
}

func (a *aggregating[IN, ACC, OUT]) Add(in IN) error {
	acc, ok, err := a.v.Value()
	if err != nil {
		return err
	}
	if !ok {
		acc = a.agg.CreateAccumulator()
	}
	if acc, err = a.agg.Add(in, acc); err != nil {
		return err
	}
	return a.v.Update(acc)
}

func (a *aggregating[IN, ACC, OUT]) Clear() error { return a.v.Clear() }
