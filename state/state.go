package state

import (
	"errors"
	"fmt"

	"github.com/weirstream/weir/internal/codec"
	"github.com/weirstream/weir/internal/keygroup"
)

// ErrKeyOutOfRange means a record reached a subtask that does not own its
// key group: the key selector is not deterministic (it must return the same
// key for the same record in every process).
var ErrKeyOutOfRange = errors.New("key outside this subtask's key groups")

// ErrStateType means a state name was registered twice with different kinds
// or types.
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
	grouper *keygroup.Grouper[K]
	groups  keygroup.Range
	cur     K
	curIdx  int // current key's group, relative to groups.Start
	tables  map[string]table
}

// table is the type-erased face of a registered state.
type table interface {
	kind() string
}

// NewKeyedBackend returns an empty heap backend for keys encoded with kc,
// owning the key groups r of maxParallelism.
func NewKeyedBackend[K comparable](kc codec.Codec[K], maxParallelism int, r keygroup.Range) *KeyedBackend[K] {
	return &KeyedBackend[K]{grouper: keygroup.NewGrouper(kc, maxParallelism), groups: r, tables: map[string]table{}}
}

// SetCurrentKey makes k the key every state handle reads and writes.
func (b *KeyedBackend[K]) SetCurrentKey(k K) error {
	g := b.grouper.Group(k)
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

func register[K comparable, T table](b *KeyedBackend[K], name string, mk func() T) (T, error) {
	if t, ok := b.tables[name]; ok {
		if tt, ok := t.(T); ok {
			return tt, nil
		}
		var zero T
		return zero, fmt.Errorf("%w: state %q is a %s, asked for %s", ErrStateType, name, t.kind(), any(zero).(table).kind())
	}
	t := mk()
	b.tables[name] = t
	return t, nil
}

// groupMaps is one map per owned key group.
func groupMaps[K comparable, V any](n int) []map[K]V {
	m := make([]map[K]V, n)
	for i := range m {
		m[i] = map[K]V{}
	}
	return m
}

type valueTable[K comparable, V any] struct {
	b      *KeyedBackend[K]
	groups []map[K]V
}

func (*valueTable[K, V]) kind() string { return fmt.Sprintf("ValueState[%T]", *new(V)) }

// GetValueState returns the value state called name, registering it on
// first use.
func GetValueState[K comparable, V any](b *KeyedBackend[K], name string) (ValueState[V], error) {
	return register(b, name, func() *valueTable[K, V] {
		return &valueTable[K, V]{b: b, groups: groupMaps[K, V](b.groups.Len())}
	})
}

func (t *valueTable[K, V]) Value() (V, bool, error) {
	v, ok := t.groups[t.b.curIdx][t.b.cur]
	return v, ok, nil
}

func (t *valueTable[K, V]) Update(v V) error {
	t.groups[t.b.curIdx][t.b.cur] = v
	return nil
}

func (t *valueTable[K, V]) Clear() error {
	delete(t.groups[t.b.curIdx], t.b.cur)
	return nil
}

type listTable[K comparable, V any] struct {
	b      *KeyedBackend[K]
	groups []map[K][]V
}

func (*listTable[K, V]) kind() string { return fmt.Sprintf("ListState[%T]", *new(V)) }

// GetListState returns the list state called name.
func GetListState[K comparable, V any](b *KeyedBackend[K], name string) (ListState[V], error) {
	return register(b, name, func() *listTable[K, V] {
		return &listTable[K, V]{b: b, groups: groupMaps[K, []V](b.groups.Len())}
	})
}

func (t *listTable[K, V]) Get() ([]V, error) {
	return append([]V(nil), t.groups[t.b.curIdx][t.b.cur]...), nil
}

func (t *listTable[K, V]) Add(v V) error {
	m := t.groups[t.b.curIdx]
	m[t.b.cur] = append(m[t.b.cur], v)
	return nil
}

func (t *listTable[K, V]) Update(vs []V) error {
	if len(vs) == 0 {
		return t.Clear()
	}
	t.groups[t.b.curIdx][t.b.cur] = append([]V(nil), vs...)
	return nil
}

func (t *listTable[K, V]) Clear() error {
	delete(t.groups[t.b.curIdx], t.b.cur)
	return nil
}

type mapTable[K, UK comparable, UV any] struct {
	b      *KeyedBackend[K]
	groups []map[K]map[UK]UV
}

func (*mapTable[K, UK, UV]) kind() string {
	return fmt.Sprintf("MapState[%T]%T", *new(UK), *new(UV))
}

// GetMapState returns the map state called name.
func GetMapState[K, UK comparable, UV any](b *KeyedBackend[K], name string) (MapState[UK, UV], error) {
	return register(b, name, func() *mapTable[K, UK, UV] {
		return &mapTable[K, UK, UV]{b: b, groups: groupMaps[K, map[UK]UV](b.groups.Len())}
	})
}

func (t *mapTable[K, UK, UV]) Get(k UK) (UV, bool, error) {
	v, ok := t.groups[t.b.curIdx][t.b.cur][k]
	return v, ok, nil
}

func (t *mapTable[K, UK, UV]) Put(k UK, v UV) error {
	g := t.groups[t.b.curIdx]
	m := g[t.b.cur]
	if m == nil {
		m = map[UK]UV{}
		g[t.b.cur] = m
	}
	m[k] = v
	return nil
}

func (t *mapTable[K, UK, UV]) Remove(k UK) error {
	g := t.groups[t.b.curIdx]
	if m := g[t.b.cur]; m != nil {
		delete(m, k)
		if len(m) == 0 {
			delete(g, t.b.cur)
		}
	}
	return nil
}

func (t *mapTable[K, UK, UV]) Entries() (map[UK]UV, error) {
	src := t.groups[t.b.curIdx][t.b.cur]
	out := make(map[UK]UV, len(src))
	for k, v := range src {
		out[k] = v
	}
	return out, nil
}

func (t *mapTable[K, UK, UV]) Clear() error {
	delete(t.groups[t.b.curIdx], t.b.cur)
	return nil
}

type reducing[V any] struct {
	v      ValueState[V]
	reduce func(a, b V) (V, error)
}

// GetReducingState returns a state that folds added values with reduce.
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

// GetAggregatingState returns a state that folds inputs with agg.
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
