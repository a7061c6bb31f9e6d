package operator

import "github.com/weirstream/weir/state"

// KeyedFuncs are a keyed function's entry points other than its
// per-record ones, as the keyed function operators call them (the API
// adapts the user's KeyedProcessFunction or KeyedCoProcessFunction).
type KeyedFuncs[K comparable, O any] struct {
	// Open is called once, before the first record, with the subtask's
	// keyed state backend.
	Open func(b *state.KeyedBackend[K]) error
	// OnTimer, when set, is called for each due timer, its key current and
	// the record context stamped with its time; domain says which kind.
	OnTimer func(ts int64, domain TimeDomain, out *Emitter[O]) error
}

// KeyedHandle is the keyed function operator's side of the function's
// context: the current key, the current record's timestamp, the timers
// (it implements the API's TimerService) and the side outputs. Its methods
// are called on the subtask's goroutine, from the function.
type KeyedHandle[K comparable, O any] struct {
	op *keyedFnOp[K, O]
}

// CurrentKey is the key of the record or timer being processed.
func (h *KeyedHandle[K, O]) CurrentKey() K { return h.op.b.CurrentKey() }

// Timestamp is the event time of the record being processed, or the time
// of the firing timer; ok is false for a record without event time.
func (h *KeyedHandle[K, O]) Timestamp() (ts int64, ok bool) {
	rc := h.op.octx.Record
	return rc.Timestamp, rc.HasTimestamp
}

// Side is the side output for tag (an Output of its type), or nil when no
// operator reads it.
func (h *KeyedHandle[K, O]) Side(tag string) any { return h.op.octx.SideOutputs[tag] }

// CurrentWatermark is the operator's event time.
func (h *KeyedHandle[K, O]) CurrentWatermark() int64 { return h.op.watermark }

// CurrentProcessingTime is the subtask's processing time in ms.
func (h *KeyedHandle[K, O]) CurrentProcessingTime() int64 { return h.op.timers.Now() }

// RegisterEventTimeTimer registers an event-time timer for the current key.
func (h *KeyedHandle[K, O]) RegisterEventTimeTimer(ts int64) error {
	return h.op.timers.Event.Register(ts)
}

// DeleteEventTimeTimer deletes the current key's event-time timer at ts.
func (h *KeyedHandle[K, O]) DeleteEventTimeTimer(ts int64) error {
	return h.op.timers.Event.Delete(ts)
}

// RegisterProcessingTimeTimer registers a processing-time timer for the
// current key.
func (h *KeyedHandle[K, O]) RegisterProcessingTimeTimer(ts int64) error {
	return h.op.timers.RegisterProc(ts)
}

// DeleteProcessingTimeTimer deletes the current key's processing-time
// timer at ts.
func (h *KeyedHandle[K, O]) DeleteProcessingTimeTimer(ts int64) error {
	return h.op.timers.Proc.Delete(ts)
}

// NewKeyedProcessOp makes the operator of a keyed process function
// (Flink's KeyedProcessOperator): for each record it sets the record's key
// current and calls process; fns.OnTimer runs for due timers. It returns
// the operator's input, the operator, and the handle the function's
// context reads.
func NewKeyedProcessOp[K comparable, I, O any](ctx *Context, b *state.KeyedBackend[K], key func(I) K,
	process func(v I, out *Emitter[O]) error, fns KeyedFuncs[K, O], out Output[O]) (Output[I], Operator, *KeyedHandle[K, O], error) {
	op := &processOp[K, I, O]{key: key, process: process}
	if err := op.init(ctx, b, out, fns); err != nil {
		return nil, nil, nil, err
	}
	return op, op, &KeyedHandle[K, O]{&op.keyedFnOp}, nil
}

// NewKeyedCoProcessOp makes the operator of a keyed co-process function
// (Flink's KeyedCoProcessOperator): records of the first input go to
// process1, of the second to process2, each with its key current; the
// operator's watermark is the minimum of both inputs'. It returns the two
// inputs, the operator and the handle the function's context reads.
func NewKeyedCoProcessOp[K comparable, A, B, O any](ctx *Context, b *state.KeyedBackend[K], keyA func(A) K, keyB func(B) K,
	process1 func(v A, out *Emitter[O]) error, process2 func(v B, out *Emitter[O]) error,
	fns KeyedFuncs[K, O], out Output[O]) (Output[A], Output[B], Operator, *KeyedHandle[K, O], error) {
	op := &coProcessOp[K, A, B, O]{keyA: keyA, keyB: keyB, process1: process1, process2: process2}
	if err := op.init(ctx, b, out, fns); err != nil {
		return nil, nil, nil, nil, err
	}
	return inputFunc[A]{collect: op.collectA, watermark: op.EmitWatermark}, inputFunc[B]{collect: op.collectB, watermark: op.EmitWatermark},
		op, &KeyedHandle[K, O]{&op.keyedFnOp}, nil
}

type processOp[K comparable, I, O any] struct {
	keyedFnOp[K, O]
	key     func(I) K
	process func(v I, out *Emitter[O]) error
}

func (p *processOp[K, I, O]) Collect(v I) error {
	if err := p.b.SetCurrentKey(p.key(v)); err != nil {
		return WrapOperatorError(p.name, err)
	}
	return p.done(p.process(v, &p.out))
}

type coProcessOp[K comparable, A, B, O any] struct {
	keyedFnOp[K, O]
	keyA     func(A) K
	keyB     func(B) K
	process1 func(v A, out *Emitter[O]) error
	process2 func(v B, out *Emitter[O]) error
}

func (c *coProcessOp[K, A, B, O]) collectA(v A) error {
	if err := c.b.SetCurrentKey(c.keyA(v)); err != nil {
		return WrapOperatorError(c.name, err)
	}
	return c.done(c.process1(v, &c.out))
}

func (c *coProcessOp[K, A, B, O]) collectB(v B) error {
	if err := c.b.SetCurrentKey(c.keyB(v)); err != nil {
		return WrapOperatorError(c.name, err)
	}
	return c.done(c.process2(v, &c.out))
}

// keyedFnOp is what the operators of keyed functions (Process, CoProcess)
// share: the function's timers, its output and its watermark.
type keyedFnOp[K comparable, O any] struct {
	KeyedSnapshots[K]
	name      string
	octx      *Context
	b         *state.KeyedBackend[K]
	out       Emitter[O]
	fns       KeyedFuncs[K, O]
	timers    *KeyedTimers[K]
	onEvent   func(ts int64) error
	watermark int64
}

// init sets k up in place (its timers point back at it).
func (k *keyedFnOp[K, O]) init(ctx *Context, b *state.KeyedBackend[K], out Output[O], fns KeyedFuncs[K, O]) error {
	timers, err := NewKeyedTimers(ctx, b, 0)
	if err != nil {
		return err
	}
	*k = keyedFnOp[K, O]{KeyedSnapshots: KeyedSnapshots[K]{B: b}, name: ctx.Node.Name, octx: ctx, b: b,
		out: Emitter[O]{Out: out}, fns: fns, timers: timers, watermark: MinWatermark}
	timers.OnProc = func(ts int64) error { return k.onTimer(ts, ProcessingTime) }
	k.onEvent = func(ts int64) error { return k.onTimer(ts, EventTime) }
	return nil
}

// Open calls the function's Open, then schedules the restored
// processing-time timers.
func (k *keyedFnOp[K, O]) Open() error {
	if k.fns.Open != nil {
		if err := k.fns.Open(k.b); err != nil {
			return WrapOperatorError(k.name, err)
		}
	}
	k.timers.Schedule()
	return nil
}

func (k *keyedFnOp[K, O]) Finish() error { return nil }
func (k *keyedFnOp[K, O]) Close() error  { k.timers.Close(); return nil }

// done returns the function's error, attributed, or the first downstream
// failure it hit.
func (k *keyedFnOp[K, O]) done(err error) error {
	if err != nil {
		return WrapOperatorError(k.name, err)
	}
	if err := k.out.Err; err != nil {
		k.out.Err = nil
		return err
	}
	return nil
}

// onTimer calls OnTimer for one due timer; its records carry the timer's
// time.
func (k *keyedFnOp[K, O]) onTimer(ts int64, d TimeDomain) error {
	if k.fns.OnTimer == nil {
		return nil
	}
	rc := k.octx.Record
	saved := *rc
	rc.Timestamp, rc.HasTimestamp = ts, true
	err := k.fns.OnTimer(ts, d, &k.out)
	*rc = saved
	return k.done(err)
}

// EmitWatermark fires the event-time timers the watermark passed, then
// forwards it.
func (k *keyedFnOp[K, O]) EmitWatermark(wm Watermark) error {
	if !wm.Idle && wm.Time > k.watermark {
		k.watermark = wm.Time
		if err := FireQueue(k.name, k.timers.Event, wm.Time, k.onEvent); err != nil {
			return err
		}
	}
	return ForwardWatermark(k.octx, k.out.Out, wm)
}
