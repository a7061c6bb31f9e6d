package operator

import (
	"slices"
	"sync/atomic"

	"github.com/weirstream/weir/state"
)

// NewIntervalJoin makes the interval join of one subtask (Flink's
// IntervalJoinOperator): a record of either side is kept, per key and
// timestamp, and joined with f to every record of the other side whose
// timestamp t has b.ts in [a.ts+lower, a.ts+upper] (milliseconds, bounds
// included), as soon as the second of the two arrives; each result
// carries the larger timestamp. A side's records go once the watermark
// passes the last time a partner could arrive. It returns the inputs of
// both sides and the operator.
func NewIntervalJoin[K comparable, A, B, O any](ctx *Context, kb *state.KeyedBackend[K], keyA func(A) K, keyB func(B) K,
	lo, up int64, f func(A, B) (O, error), out Output[O]) (Output[A], Output[B], Operator, error) {
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
	op := &intervalJoinOp[K, A, B, O]{KeyedSnapshots: KeyedSnapshots[K]{B: kb}, name: ctx.Node.Name, octx: ctx, b: kb, keyA: keyA, keyB: keyB,
		lower: lo, upper: up, f: f, left: left, right: right, leftTimers: lt, rightTimers: rt, watermark: MinWatermark, out: out,
		lateDropped: ctx.OperatorMetrics().LateRecordsDropped()}
	op.emitA = op.emit
	op.emitB = func(b B, a A, ts int64) error { return op.emit(a, b, ts) }
	return inputFunc[A]{collect: op.collectA, watermark: op.EmitWatermark}, inputFunc[B]{collect: op.collectB, watermark: op.EmitWatermark}, op, nil
}

// InputOf returns the Output made of collect and watermark: one input of a
// two-input operator, which the runtime feeds.
func InputOf[T any](collect func(T) error, watermark func(Watermark) error) Output[T] {
	return inputFunc[T]{collect, watermark}
}

type inputFunc[T any] struct {
	collect   func(T) error
	watermark func(Watermark) error
}

func (i inputFunc[T]) Collect(v T) error                { return i.collect(v) }
func (i inputFunc[T]) EmitWatermark(wm Watermark) error { return i.watermark(wm) }

// NoLifecycle is embedded by operators with nothing to do when they open,
// finish or close.
type NoLifecycle struct{}

func (NoLifecycle) Open() error   { return nil }
func (NoLifecycle) Finish() error { return nil }
func (NoLifecycle) Close() error  { return nil }

type intervalJoinOp[K comparable, A, B, O any] struct {
	NoLifecycle
	KeyedSnapshots[K]
	name         string
	octx         *Context
	b            *state.KeyedBackend[K]
	keyA         func(A) K
	keyB         func(B) K
	lower, upper int64
	f            func(A, B) (O, error)
	left         state.MapState[int64, []A]
	right        state.MapState[int64, []B]

	leftTimers, rightTimers *state.TimerQueue[K]
	watermark               int64
	out                     Output[O]
	lateDropped             *atomic.Int64 // the operator's numLateRecordsDropped
	matches                 []int64
	// emitA and emitB join a record of each side with one of the other;
	// made once, so that no closure is made per record.
	emitA func(A, B, int64) error
	emitB func(B, A, int64) error
}

func (j *intervalJoinOp[K, A, B, O]) fail(err error) error {
	return WrapOperatorError(j.name, err)
}

func (j *intervalJoinOp[K, A, B, O]) Close() error {
	if n := j.lateDropped.Load(); n > 0 {
		j.octx.Logger.Warn("late records dropped: their timestamp was below the watermark",
			"subtask", j.octx.Subtask, "numLateRecordsDropped", n)
	}
	return nil
}

// timestamp returns the current record's event time, or whether it is
// late (Flink's IntervalJoinOperator.isLate: below the watermark).
func (j *intervalJoinOp[K, A, B, O]) timestamp() (ts int64, late bool, err error) {
	rc := j.octx.Record
	if !rc.HasTimestamp {
		return 0, false, j.fail(ErrNoTimestamp)
	}
	return rc.Timestamp, j.watermark != MinWatermark && rc.Timestamp < j.watermark, nil
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
			j.lateDropped.Add(1)
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
func (j *intervalJoinOp[K, A, B, O]) EmitWatermark(wm Watermark) error {
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
	return ForwardWatermark(j.octx, j.out, wm)
}
