package operator

import "github.com/weirstream/weir/state"

// NewReduceOp makes the running fold of one subtask (Flink's
// StreamGroupedReduceOperator): per key, the fold with f of every record so
// far, kept in the value state "reduce", emitted after each record. It
// returns the operator's input and the operator.
func NewReduceOp[K comparable, T any](ctx *Context, b *state.KeyedBackend[K], key func(T) K, f func(acc, v T) (T, error), out Output[T]) (Output[T], Operator, error) {
	vs, err := state.GetValueState[K, T](b, "reduce")
	if err != nil {
		return nil, nil, err
	}
	op := &reduceOp[K, T]{forward: forward[T]{out}, KeyedSnapshots: KeyedSnapshots[K]{B: b}, name: ctx.Node.Name, b: b, key: key, f: f, state: vs, out: out}
	return op, op, nil
}

// forward passes watermarks on unchanged.
type forward[O any] struct{ out Output[O] }

func (f forward[O]) EmitWatermark(wm Watermark) error { return f.out.EmitWatermark(wm) }

type reduceOp[K comparable, T any] struct {
	NoLifecycle
	forward[T]
	KeyedSnapshots[K]
	name  string
	b     *state.KeyedBackend[K]
	key   func(T) K
	f     func(acc, v T) (T, error)
	state state.ValueState[T]
	out   Output[T]
}

func (r *reduceOp[K, T]) Collect(v T) error {
	if err := r.b.SetCurrentKey(r.key(v)); err != nil {
		return WrapOperatorError(r.name, err)
	}
	acc, ok, err := r.state.Value()
	if err != nil {
		return WrapOperatorError(r.name, err)
	}
	if ok {
		if v, err = r.f(acc, v); err != nil {
			return WrapOperatorError(r.name, err)
		}
	}
	if err := r.state.Update(v); err != nil {
		return WrapOperatorError(r.name, err)
	}
	return r.out.Collect(v)
}
