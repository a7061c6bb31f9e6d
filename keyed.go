package weir

import (
	"fmt"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/internal/keygroup"
	"github.com/weirstream/weir/operator"
	"github.com/weirstream/weir/state"
)

// KeyedStream is a stream partitioned by a key: every record with the same
// key goes to the same subtask, whose keyed state is scoped to that key.
type KeyedStream[K comparable, T any] struct {
	in       DataStream[T]
	key      func(T) K
	keyCodec codec.Codec[K]
}

// KeyBy partitions s by the key that key returns. The key selector must be
// deterministic: the same record yields the same key in every process.
func KeyBy[T any, K comparable](s DataStream[T], key func(T) K) KeyedStream[K, T] {
	return KeyedStream[K, T]{in: s, key: key, keyCodec: codecFor[K](s.env, "KeyBy")}
}

func (ks KeyedStream[K, T]) edge() graph.Edge {
	kc, key := ks.keyCodec, ks.key
	return graph.Edge{From: ks.in.node.ID, Partitioning: graph.Hash,
		KeyGroup: operator.KeyGroupFactory[T](func(maxP int) func(T) int {
			g := keygroup.NewGrouper(kc, maxP)
			return func(v T) int { return g.Group(key(v)) }
		})}
}

// keyedInput declares a keyed operator reading ks.
func keyedInput[K comparable, I, O any](ks KeyedStream[K, I], name string,
	build func(ctx *operator.Context, b *state.KeyedBackend[K], out operator.Output[O]) (operator.Output[I], operator.Operator, error)) DataStream[O] {
	return oneInput(ks.in, name, true, ks.edge(), func(ctx *operator.Context, out operator.Output[O]) (operator.Output[I], operator.Operator, error) {
		b, err := newKeyedBackend(ctx, ks.keyCodec)
		if err != nil {
			return nil, nil, err
		}
		return build(ctx, b, out)
	})
}

// newKeyedBackend builds the state backend of a keyed operator subtask, of
// the configured type, restored from ctx.Restore, and closed when the
// subtask ends.
func newKeyedBackend[K comparable](ctx *operator.Context, kc codec.Codec[K]) (*state.KeyedBackend[K], error) {
	var keyed []operator.KeyedRestore
	if ctx.Restore != nil {
		keyed = ctx.Restore.Keyed
	}
	pebble := ctx.StateBackend.Type == config.PebbleBackend
	for _, r := range keyed {
		if (r.Format == checkpoint.FormatPebble) != pebble {
			written, runs := "heap (hashmap)", "pebble"
			if !pebble {
				written, runs = runs, written
			}
			return nil, fmt.Errorf("restoring keyed state of %q: %w: the checkpoint's state was written by the %s backend and this job runs %s; set %s to the backend that wrote it",
				ctx.Node.Name, state.ErrBackendMismatch, written, runs, config.StateBackendType.Key())
		}
	}
	if !pebble {
		b := state.NewKeyedBackend(kc, ctx.MaxParallelism, ctx.KeyGroups)
		b.SetMemoryBudget(ctx.StateBackend.HeapBudget, ctx.StateBackend.HeapBudgetFrom, ctx.Node.Name)
		for _, r := range keyed {
			if err := b.Restore(r.KeyGroups, r.Offsets, r.Data); err != nil {
				return nil, fmt.Errorf("restoring keyed state of %q: %w", ctx.Node.Name, err)
			}
		}
		return b, nil
	}
	if ctx.LocalDir == "" {
		return nil, fmt.Errorf("operator %q: the pebble state backend needs a local directory", ctx.Node.Name)
	}
	restores := make([]state.PebbleRestore, 0, len(keyed))
	for _, r := range keyed {
		pr := state.PebbleRestore{KeyGroups: r.KeyGroups, Checkpoint: r.Checkpoint}
		for _, f := range r.Files {
			pr.Files = append(pr.Files, state.PebbleFile{Name: f.Name, Size: f.Size, Open: f.Open})
		}
		restores = append(restores, pr)
	}
	sb := ctx.StateBackend
	b, err := state.NewPebbleBackend(ctx.Context, kc, ctx.MaxParallelism, ctx.KeyGroups, state.PebbleOptions{
		Dir: ctx.LocalDir, WriteBufferSize: sb.WriteBufferSize, BlockCacheSize: sb.BlockCacheSize, CacheSize: sb.StateCacheSize,
		LocalRecovery: sb.LocalRecovery, Logger: ctx.Logger,
	}, restores)
	if err != nil {
		return nil, fmt.Errorf("keyed state of %q: %w", ctx.Node.Name, err)
	}
	ctx.OnCheckpointComplete(b.OnCheckpointComplete)
	ctx.OnClose(func() {
		if err := b.Close(); err != nil {
			ctx.Logger.Warn("closing pebble state", "err", err)
		}
	})
	return b, nil
}

// Reduce keeps, per key, the fold of every record so far with f, and emits
// the new value after each record (a running aggregate, as Flink's reduce on
// a keyed stream).
func Reduce[K comparable, T any](ks KeyedStream[K, T], f func(acc, v T) (T, error)) DataStream[T] {
	return reduce(ks, "Reduce", func() func(acc, v T) (T, error) { return f })
}

// reduce declares a reducing operator; newF makes each subtask's function,
// so a function may keep scratch space.
func reduce[K comparable, T any](ks KeyedStream[K, T], name string, newF func() func(acc, v T) (T, error)) DataStream[T] {
	return keyedInput(ks, name, func(ctx *operator.Context, b *state.KeyedBackend[K], out operator.Output[T]) (operator.Output[T], operator.Operator, error) {
		return operator.NewReduceOp(ctx, b, ks.key, newF(), out)
	})
}

// Number is the type of a field Sum can add.
type Number interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

// Sum keeps a running sum per key of the field that field points to, and
// emits the first record of the key with the field replaced by the sum so
// far, after each record (Flink's sum(field)).
func Sum[K comparable, T any, N Number](ks KeyedStream[K, T], field func(*T) *N) DataStream[T] {
	return reduce(ks, "Sum", func() func(acc, v T) (T, error) {
		// Scratch records that live as long as the subtask: taking the
		// address of the arguments instead would move both to the heap on
		// every call.
		scratch := new([2]T)
		return func(acc, v T) (T, error) {
			scratch[0], scratch[1] = acc, v
			*field(&scratch[0]) += *field(&scratch[1])
			return scratch[0], nil
		}
	})
}

// KeyedProcessFunction is a function over a keyed stream with keyed state.
// The runtime creates one instance per subtask (with the factory given to
// Process) and calls Open once before the first record; state handles
// obtained in Open are scoped to the current key in ProcessElement.
type KeyedProcessFunction[K comparable, I, O any] interface {
	Open(ctx *OpenContext[K]) error
	ProcessElement(ctx *Context[K], in I, out Collector[O]) error
}

// OpenContext is what a KeyedProcessFunction sees in Open.
type OpenContext[K comparable] struct {
	backend *state.KeyedBackend[K]
	// Subtask is this instance's 0-based index; Parallelism the number of
	// instances.
	Subtask, Parallelism int
}

// Context is what a KeyedProcessFunction sees for each record and timer.
type Context[K comparable] struct {
	h interface {
		CurrentKey() K
		Timestamp() (int64, bool)
		Side(tag string) any
		TimerService
	}
	domain TimeDomain
}

// CurrentKey is the key of the record (or timer) being processed.
func (c *Context[K]) CurrentKey() K { return c.h.CurrentKey() }

// Timestamp is the event time of the record being processed, or the time
// of the firing timer; ok is false for a record without event time.
func (c *Context[K]) Timestamp() (ts int64, ok bool) { return c.h.Timestamp() }

// TimeDomain says, in OnTimer, which kind of timer fired.
func (c *Context[K]) TimeDomain() TimeDomain { return c.domain }

// TimerService registers and deletes the current key's timers.
func (c *Context[K]) TimerService() TimerService { return c.h }

// TimeDomain is event time or processing time.
type TimeDomain = operator.TimeDomain

// The time domains.
const (
	EventTime      = operator.EventTime
	ProcessingTime = operator.ProcessingTime
)

// TimerService is a keyed function's access to time (Flink's
// TimerService). Times are milliseconds since the epoch. Timers are
// scoped to the current key; registering the same key and time twice
// fires once. Event-time timers fire when the watermark reaches them,
// processing-time timers when the wall clock does; both fire on the
// subtask's goroutine, in time order, and are checkpointed with the key's
// state.
type TimerService interface {
	CurrentWatermark() int64
	CurrentProcessingTime() int64
	RegisterEventTimeTimer(ts int64) error
	RegisterProcessingTimeTimer(ts int64) error
	DeleteEventTimeTimer(ts int64) error
	DeleteProcessingTimeTimer(ts int64) error
}

// TimerFunction is implemented by a KeyedProcessFunction that reacts to
// its timers.
type TimerFunction[K comparable, O any] interface {
	OnTimer(ctx *Context[K], ts int64, out Collector[O]) error
}

// Keyed state handles.
type (
	ValueState[V any]               = state.ValueState[V]
	ListState[V any]                = state.ListState[V]
	MapState[UK comparable, UV any] = state.MapState[UK, UV]
	ReducingState[V any]            = state.ReducingState[V]
	AggregatingState[IN, OUT any]   = state.AggregatingState[IN, OUT]
	Aggregator[IN, ACC, OUT any]    = state.Aggregator[IN, ACC, OUT]
)

// NewValueState registers (or finds) the value state called name.
func NewValueState[V any, K comparable](ctx *OpenContext[K], name string) (ValueState[V], error) {
	return state.GetValueState[K, V](ctx.backend, name)
}

// NewListState registers (or finds) the list state called name.
func NewListState[V any, K comparable](ctx *OpenContext[K], name string) (ListState[V], error) {
	return state.GetListState[K, V](ctx.backend, name)
}

// NewMapState registers (or finds) the map state called name.
func NewMapState[UK comparable, UV any, K comparable](ctx *OpenContext[K], name string) (MapState[UK, UV], error) {
	return state.GetMapState[K, UK, UV](ctx.backend, name)
}

// NewReducingState registers (or finds) the reducing state called name.
func NewReducingState[V any, K comparable](ctx *OpenContext[K], name string, reduce func(a, b V) (V, error)) (ReducingState[V], error) {
	return state.GetReducingState(ctx.backend, name, reduce)
}

// NewAggregatingState registers (or finds) the aggregating state called name.
func NewAggregatingState[IN, ACC, OUT any, K comparable](ctx *OpenContext[K], name string, agg Aggregator[IN, ACC, OUT]) (AggregatingState[IN, OUT], error) {
	return state.GetAggregatingState(ctx.backend, name, agg)
}

// Process applies a keyed process function; newFn creates one instance per
// subtask.
func Process[K comparable, I, O any](ks KeyedStream[K, I], newFn func() KeyedProcessFunction[K, I, O]) DataStream[O] {
	return keyedInput(ks, "Process", func(ctx *operator.Context, b *state.KeyedBackend[K], out operator.Output[O]) (operator.Output[I], operator.Operator, error) {
		fn, c := newFn(), &Context[K]{}
		in, op, h, err := operator.NewKeyedProcessOp(ctx, b, ks.key, func(v I, out *operator.Emitter[O]) error {
			return fn.ProcessElement(c, v, out)
		}, keyedFuncs[K, O](ctx, fn.Open, fn, c), out)
		c.h = h
		return in, op, err
	})
}

// keyedFuncs adapts a keyed function's Open and, when fn is a
// TimerFunction, its OnTimer for the keyed function operators; c is the
// context the function sees.
func keyedFuncs[K comparable, O any](ctx *operator.Context, open func(*OpenContext[K]) error, fn any, c *Context[K]) operator.KeyedFuncs[K, O] {
	fs := operator.KeyedFuncs[K, O]{Open: func(b *state.KeyedBackend[K]) error {
		return open(&OpenContext[K]{backend: b, Subtask: ctx.Subtask, Parallelism: ctx.Parallelism})
	}}
	if tf, ok := fn.(TimerFunction[K, O]); ok {
		fs.OnTimer = func(ts int64, d TimeDomain, out *operator.Emitter[O]) error {
			c.domain = d
			return tf.OnTimer(c, ts, out)
		}
	}
	return fs
}
