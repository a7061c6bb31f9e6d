package weir

import (
	"errors"
	"fmt"
	"time"

	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/operator"
	"github.com/weirstream/weir/state"
)

// twoInputNode is the NodeImpl of a two-input operator: Build returns one
// Output per input edge. The runtime feeds each edge's channels to its
// input and calls EmitWatermark on the first only, with the minimum over
// all channels, so the two inputs share one operator whose watermark logic
// runs once.
type twoInputNode[A, B, O any] struct {
	a, b, out operator.TypeInfo
	build     func(ctx *operator.Context, out operator.Output[O]) (operator.Output[A], operator.Output[B], operator.Operator, error)
}

func (n *twoInputNode[A, B, O]) Build(ctx *operator.Context, out any) ([]any, operator.Operator, error) {
	a, b, op, err := n.build(ctx, out.(operator.Output[O]))
	return []any{a, b}, op, err
}
func (n *twoInputNode[A, B, O]) OutType() operator.TypeInfo { return n.out }
func (n *twoInputNode[A, B, O]) InType(i int) operator.TypeInfo {
	if i == 0 {
		return n.a
	}
	return n.b
}
func (n *twoInputNode[A, B, O]) setOut(t operator.TypeInfo) { n.out = t }

// keyedTwoInput declares a keyed operator reading a and b, which must be
// keyed by the same key type; one keyed backend holds the state of both.
func keyedTwoInput[K comparable, A, B, O any](a KeyedStream[K, A], b KeyedStream[K, B], name string,
	build func(ctx *operator.Context, kb *state.KeyedBackend[K], out operator.Output[O]) (operator.Output[A], operator.Output[B], operator.Operator, error)) DataStream[O] {
	env := a.in.env
	if b.in.env != env {
		env.errs = append(env.errs, fmt.Errorf("operator %q: its two inputs belong to different environments", name))
	}
	c := codecFor[O](env, name)
	kc := a.keyCodec
	impl := &twoInputNode[A, B, O]{a: operator.TypeOf(a.in.codec), b: operator.TypeOf(b.in.codec), out: operator.TypeOf(c),
		build: func(ctx *operator.Context, out operator.Output[O]) (operator.Output[A], operator.Output[B], operator.Operator, error) {
			kb, err := newKeyedBackend(ctx, kc)
			if err != nil {
				return nil, nil, nil, err
			}
			return build(ctx, kb, out)
		}}
	return newStream(env, &graph.Node{Name: name, Keyed: true, Inputs: []graph.Edge{a.edge(), b.edge()}, Impl: impl}, c)
}

// joinElem is a record of either input of a window join.
type joinElem[A, B any] struct {
	a     A
	b     B
	right bool
}

// joinPanes is a window join's state per key and window: the records of
// each side, in arrival order.
type joinPanes[A, B any] struct {
	Left  []A
	Right []B
}

// JoinWindow joins a and b in windows (Flink's a.join(b).where(..).
// equalTo(..).window(assigner).apply(f)): when a window of a key fires, f
// is called for every pair of an a-record and a b-record of that key and
// window (an inner join), in arrival order, a-records outer, and each
// result carries the window's MaxTimestamp. The assigner is tumbling,
// sliding or session windows, in event or processing time. Records later
// than their windows are dropped and counted (numLateRecordsDropped in the
// log).
func JoinWindow[K comparable, A, B, O any](a KeyedStream[K, A], b KeyedStream[K, B], assigner WindowAssigner, f func(A, B) (O, error)) DataStream[O] {
	const name = "Window(Join)"
	env := a.in.env
	ws := Window(KeyedStream[K, joinElem[A, B]]{}, assigner)
	spec, err := ws.resolve(true)
	if err == nil && assigner.a.Kind == operator.GlobalWindows {
		err = errors.New("a window join needs time windows (tumbling, sliding or session), not GlobalWindows")
	}
	if err != nil {
		env.errs = append(env.errs, fmt.Errorf("operator %q: %w", name, err))
	}
	codecFor[joinPanes[A, B]](env, name)
	fns := windowFuncs[K, joinElem[A, B], joinPanes[A, B], O]{
		add: func(p joinPanes[A, B], _ bool, e joinElem[A, B]) (joinPanes[A, B], error) {
			// Appending never changes what a snapshot captured (see
			// ProcessWindow).
			if e.right {
				p.Right = append(p.Right, e.b)
			} else {
				p.Left = append(p.Left, e.a)
			}
			return p, nil
		},
		merge: func(x, y joinPanes[A, B]) (joinPanes[A, B], error) {
			return joinPanes[A, B]{
				Left:  append(append(make([]A, 0, len(x.Left)+len(y.Left)), x.Left...), y.Left...),
				Right: append(append(make([]B, 0, len(x.Right)+len(y.Right)), x.Right...), y.Right...),
			}, nil
		},
		emit: func(_ WindowContext[K], p joinPanes[A, B], out Collector[O]) error {
			for _, x := range p.Left {
				for _, y := range p.Right {
					o, err := f(x, y)
					if err != nil {
						return err
					}
					out.Collect(o)
				}
			}
			return nil
		},
	}
	keyA, keyB := a.key, b.key
	key := func(e joinElem[A, B]) K {
		if e.right {
			return keyB(e.b)
		}
		return keyA(e.a)
	}
	return keyedTwoInput(a, b, name, func(ctx *operator.Context, kb *state.KeyedBackend[K], out operator.Output[O]) (operator.Output[A], operator.Output[B], operator.Operator, error) {
		in, op, err := operator.NewWindowOp(ctx, kb, spec, key, fns.op(), out, nil)
		if err != nil {
			return nil, nil, nil, err
		}
		return operator.InputOf(func(v A) error { return in.Collect(joinElem[A, B]{a: v}) }, in.EmitWatermark),
			operator.InputOf(func(v B) error { return in.Collect(joinElem[A, B]{b: v, right: true}) }, in.EmitWatermark),
			op, nil
	})
}

// IntervalJoin joins a and b by key and event time (Flink's
// a.intervalJoin(b).between(lower, upper).process(f)): f is called for
// every pair with b.ts in [a.ts+lower, a.ts+upper], bounds included, as
// soon as the second of the two arrives; each result carries the larger of
// the two timestamps. Each side keeps its records, per key and timestamp,
// until the watermark passes the last time a partner could still arrive
// (a.ts+upper for an a-record, b.ts-lower for a b-record). A record whose
// timestamp is below the watermark is late: dropped and counted
// (numLateRecordsDropped in the log). lower must not exceed upper; both
// are truncated to milliseconds.
func IntervalJoin[K comparable, A, B, O any](a KeyedStream[K, A], b KeyedStream[K, B], lower, upper time.Duration, f func(A, B) (O, error)) DataStream[O] {
	const name = "IntervalJoin"
	lo, up := lower.Milliseconds(), upper.Milliseconds()
	if lo > up {
		a.in.env.errs = append(a.in.env.errs, fmt.Errorf("operator %q: the lower bound %v exceeds the upper bound %v", name, lower, upper))
	}
	codecFor[[]A](a.in.env, name)
	codecFor[[]B](a.in.env, name)
	keyA, keyB := a.key, b.key
	return keyedTwoInput(a, b, name, func(ctx *operator.Context, kb *state.KeyedBackend[K], out operator.Output[O]) (operator.Output[A], operator.Output[B], operator.Operator, error) {
		return operator.NewIntervalJoin(ctx, kb, keyA, keyB, lo, up, f, out)
	})
}

// KeyedCoProcessFunction processes two keyed streams with shared keyed
// state and timers (Flink's KeyedCoProcessFunction), for joins without
// windows: keep what one side brought in state until the other side's
// record comes, and clean up with timers. The runtime creates one instance
// per subtask and calls Open once before the first record; state handles
// obtained in Open are scoped to the current key. Implement TimerFunction
// for OnTimer; EmitTo writes to side outputs.
type KeyedCoProcessFunction[K comparable, A, B, O any] interface {
	Open(ctx *OpenContext[K]) error
	ProcessElement1(ctx *Context[K], a A, out Collector[O]) error
	ProcessElement2(ctx *Context[K], b B, out Collector[O]) error
}

// CoProcess connects a and b, keyed by the same key type, and applies a
// keyed co-process function; newFn creates one instance per subtask. The
// operator's watermark is the minimum of both inputs'.
func CoProcess[K comparable, A, B, O any](a KeyedStream[K, A], b KeyedStream[K, B], newFn func() KeyedCoProcessFunction[K, A, B, O]) DataStream[O] {
	return keyedTwoInput(a, b, "CoProcess", func(ctx *operator.Context, kb *state.KeyedBackend[K], out operator.Output[O]) (operator.Output[A], operator.Output[B], operator.Operator, error) {
		fn, c := newFn(), &Context[K]{}
		inA, inB, op, h, err := operator.NewKeyedCoProcessOp(ctx, kb, a.key, b.key,
			func(v A, out *operator.Emitter[O]) error { return fn.ProcessElement1(c, v, out) },
			func(v B, out *operator.Emitter[O]) error { return fn.ProcessElement2(c, v, out) },
			keyedFuncs[K, O](ctx, fn.Open, fn, c), out)
		c.h = h
		return inA, inB, op, err
	})
}
