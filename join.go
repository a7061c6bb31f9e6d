package weir

import (
	"errors"
	"fmt"
	"slices"
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

// inputFunc adapts one input of a two-input operator.
type inputFunc[T any] struct {
	collect   func(T) error
	watermark func(operator.Watermark) error
}

func (i inputFunc[T]) Collect(v T) error                         { return i.collect(v) }
func (i inputFunc[T]) EmitWatermark(wm operator.Watermark) error { return i.watermark(wm) }

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
		return inputFunc[A]{collect: func(v A) error { return in.Collect(joinElem[A, B]{a: v}) }, watermark: in.EmitWatermark},
			inputFunc[B]{collect: func(v B) error { return in.Collect(joinElem[A, B]{b: v, right: true}) }, watermark: in.EmitWatermark},
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
	return keyedTwoInput(a, b, name, func(ctx *operator.Context, kb *state.KeyedBackend[K], out operator.Output[O]) (operator.Output[A], operator.Output[B], operator.Operator, error) {
		left, err := state.GetMapState[K, int64, []A](kb, "interval-left")
		if err != nil {
			return nil, nil, nil, err
		}
		right, err := state.GetMapState[K, int64, []B](kb, "interval-right")
		if err != nil {
			return nil, nil, nil, err
		}
		// One timer queue per side: a timer's time then says which
		// bucket of which side to drop.
		lt, err := state.NewTimerQueue(kb, "cleanup-left")
		if err != nil {
			return nil, nil, nil, err
		}
		rt, err := state.NewTimerQueue(kb, "cleanup-right")
		if err != nil {
			return nil, nil, nil, err
		}
		op := &intervalJoinOp[K, A, B, O]{KeyedSnapshots: operator.KeyedSnapshots[K]{B: kb}, name: ctx.Node.Name, octx: ctx, b: kb, keyA: a.key, keyB: b.key,
			lower: lo, upper: up, f: f, left: left, right: right, leftTimers: lt, rightTimers: rt, watermark: operator.MinWatermark, out: out}
		op.emitA = op.emit
		op.emitB = func(b B, a A, ts int64) error { return op.emit(a, b, ts) }
		return inputFunc[A]{collect: op.collectA, watermark: op.EmitWatermark}, inputFunc[B]{collect: op.collectB, watermark: op.EmitWatermark}, op, nil
	})
}

type intervalJoinOp[K comparable, A, B, O any] struct {
	noLifecycle
	operator.KeyedSnapshots[K]
	name         string
	octx         *operator.Context
	b            *state.KeyedBackend[K]
	keyA         func(A) K
	keyB         func(B) K
	lower, upper int64
	f            func(A, B) (O, error)
	left         state.MapState[int64, []A]
	right        state.MapState[int64, []B]

	leftTimers, rightTimers *state.TimerQueue[K]
	watermark               int64
	out                     operator.Output[O]
	lateDropped             int64
	matches                 []int64
	// emitA and emitB join a record of each side with one of the other;
	// made once, so that no closure is made per record.
	emitA func(A, B, int64) error
	emitB func(B, A, int64) error
}

func (j *intervalJoinOp[K, A, B, O]) fail(err error) error {
	return operator.WrapOperatorError(j.name, err)
}

func (j *intervalJoinOp[K, A, B, O]) Close() error {
	if j.lateDropped > 0 {
		j.octx.Logger.Warn("late records dropped: their timestamp was below the watermark",
			"subtask", j.octx.Subtask, "numLateRecordsDropped", j.lateDropped)
	}
	return nil
}

// timestamp returns the current record's event time, or whether it is
// late (Flink's IntervalJoinOperator.isLate: below the watermark).
func (j *intervalJoinOp[K, A, B, O]) timestamp() (ts int64, late bool, err error) {
	rc := j.octx.Record
	if !rc.HasTimestamp {
		return 0, false, j.fail(operator.ErrNoTimestamp)
	}
	return rc.Timestamp, j.watermark != operator.MinWatermark && rc.Timestamp < j.watermark, nil
}

// inRange lists, sorted, the timestamps of m within [lo, hi].
func inRange[V any](m map[int64]V, lo, hi int64, dst []int64) []int64 {
	dst = dst[:0]
	for t := range m {
		if t >= lo && t <= hi {
			dst = append(dst, t)
		}
	}
	slices.Sort(dst)
	return dst
}

func (j *intervalJoinOp[K, A, B, O]) collectA(v A) error {
	// a matches b when b.ts ∈ [a.ts+lower, a.ts+upper]; a is needed until
	// the watermark passes a.ts+upper.
	return joinSide(j, j.keyA(v), v, j.left, j.right, j.lower, j.upper, max(j.upper, 0), j.leftTimers, j.emitA)
}

func (j *intervalJoinOp[K, A, B, O]) collectB(v B) error {
	// b matches a when a.ts ∈ [b.ts-upper, b.ts-lower]; b is needed until
	// the watermark passes b.ts-lower.
	return joinSide(j, j.keyB(v), v, j.right, j.left, -j.upper, -j.lower, max(-j.lower, 0), j.rightTimers, j.emitB)
}

// joinSide is one input of the interval join: it buffers v at its time,
// joins it with the other side's records whose time lies in
// [ts+lo, ts+hi], and registers v's cleanup at ts+keep.
func joinSide[K comparable, A, B, O, V, W any](j *intervalJoinOp[K, A, B, O], key K, v V,
	mine state.MapState[int64, []V], others state.MapState[int64, []W], lo, hi, keep int64,
	cleanup *state.TimerQueue[K], emit func(V, W, int64) error) error {
	if err := j.b.SetCurrentKey(key); err != nil {
		return j.fail(err)
	}
	ts, late, err := j.timestamp()
	if err != nil || late {
		if late {
			j.lateDropped++
		}
		return err
	}
	if err := addToBucket(mine, ts, v); err != nil {
		return j.fail(err)
	}
	buffered, err := others.Entries()
	if err != nil {
		return j.fail(err)
	}
	j.matches = inRange(buffered, ts+lo, ts+hi, j.matches)
	for _, t := range j.matches {
		for _, w := range buffered[t] {
			if err := emit(v, w, max(ts, t)); err != nil {
				return err
			}
		}
	}
	return j.fail(cleanup.Register(ts + keep))
}

// addToBucket appends v to the list at ts. Appending never changes what a
// snapshot captured (see package state's ListState).
func addToBucket[V any](m state.MapState[int64, []V], ts int64, v V) error {
	l, _, err := m.Get(ts)
	if err != nil {
		return err
	}
	return m.Put(ts, append(l, v))
}

func (j *intervalJoinOp[K, A, B, O]) emit(a A, b B, ts int64) error {
	o, err := j.f(a, b)
	if err != nil {
		return j.fail(err)
	}
	rc := j.octx.Record
	saved := *rc
	rc.Timestamp, rc.HasTimestamp = ts, true
	err = j.out.Collect(o)
	*rc = saved
	return err
}

// EmitWatermark drops the buckets no later record can join, then forwards
// the watermark.
func (j *intervalJoinOp[K, A, B, O]) EmitWatermark(wm operator.Watermark) error {
	if !wm.Idle && wm.Time > j.watermark {
		j.watermark = wm.Time
		for {
			lt, lok := j.leftTimers.Next()
			rt, rok := j.rightTimers.Next()
			switch {
			case lok && lt <= wm.Time && (!rok || lt <= rt):
				if _, _, err := j.leftTimers.Pop(lt); err != nil {
					return j.fail(err)
				}
				bucket := lt
				if j.upper > 0 {
					bucket = lt - j.upper
				}
				if err := j.left.Remove(bucket); err != nil {
					return j.fail(err)
				}
				continue
			case rok && rt <= wm.Time:
				if _, _, err := j.rightTimers.Pop(rt); err != nil {
					return j.fail(err)
				}
				bucket := rt
				if j.lower < 0 {
					bucket = rt + j.lower
				}
				if err := j.right.Remove(bucket); err != nil {
					return j.fail(err)
				}
				continue
			}
			break
		}
	}
	return operator.ForwardWatermark(j.octx, j.out, wm)
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
		op := &coProcessOp[K, A, B, O]{keyA: a.key, keyB: b.key, fn: newFn()}
		if err := op.init(ctx, kb, out, op.fn); err != nil {
			return nil, nil, nil, err
		}
		return inputFunc[A]{collect: op.collectA, watermark: op.EmitWatermark}, inputFunc[B]{collect: op.collectB, watermark: op.EmitWatermark}, op, nil
	})
}

type coProcessOp[K comparable, A, B, O any] struct {
	keyedFnOp[K, O]
	keyA func(A) K
	keyB func(B) K
	fn   KeyedCoProcessFunction[K, A, B, O]
}

func (c *coProcessOp[K, A, B, O]) Open() error { return c.open(c.fn.Open) }

func (c *coProcessOp[K, A, B, O]) collectA(v A) error {
	if err := c.b.SetCurrentKey(c.keyA(v)); err != nil {
		return operator.WrapOperatorError(c.name, err)
	}
	return c.done(c.fn.ProcessElement1(&c.ctx, v, &c.out))
}

func (c *coProcessOp[K, A, B, O]) collectB(v B) error {
	if err := c.b.SetCurrentKey(c.keyB(v)); err != nil {
		return operator.WrapOperatorError(c.name, err)
	}
	return c.done(c.fn.ProcessElement2(&c.ctx, v, &c.out))
}
