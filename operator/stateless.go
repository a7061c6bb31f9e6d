package operator

// NewMap makes the operator that applies f to every record. It returns
// the operator's input and the operator (as do NewFilter and NewFlatMap).
func NewMap[I, O any](ctx *Context, f func(I) (O, error), out Output[O]) (Output[I], Operator) {
	op := &mapOp[I, O]{forward: forward[O]{out}, name: ctx.Node.Name, f: f, out: out}
	return op, op
}

// NewFilter makes the operator that keeps the records for which f returns
// true.
func NewFilter[T any](ctx *Context, f func(T) (bool, error), out Output[T]) (Output[T], Operator) {
	op := &filterOp[T]{forward: forward[T]{out}, name: ctx.Node.Name, f: f, out: out}
	return op, op
}

// NewFlatMap makes the operator that calls f for every record; f emits
// any number of records to its Collector.
func NewFlatMap[I, O any](ctx *Context, f func(I, Collector[O]) error, out Output[O]) (Output[I], Operator) {
	op := &flatMapOp[I, O]{forward: forward[O]{out}, name: ctx.Node.Name, f: f, out: Emitter[O]{Out: out}}
	return op, op
}

type mapOp[I, O any] struct {
	NoLifecycle
	forward[O]
	name string
	f    func(I) (O, error)
	out  Output[O]
}

func (m *mapOp[I, O]) Collect(v I) error {
	o, err := m.f(v)
	if err != nil {
		return WrapOperatorError(m.name, err)
	}
	return m.out.Collect(o)
}

type filterOp[T any] struct {
	NoLifecycle
	forward[T]
	name string
	f    func(T) (bool, error)
	out  Output[T]
}

func (m *filterOp[T]) Collect(v T) error {
	ok, err := m.f(v)
	if err != nil {
		return WrapOperatorError(m.name, err)
	}
	if !ok {
		return nil
	}
	return m.out.Collect(v)
}

type flatMapOp[I, O any] struct {
	NoLifecycle
	forward[O]
	name string
	f    func(I, Collector[O]) error
	out  Emitter[O]
}

func (m *flatMapOp[I, O]) Collect(v I) error {
	if err := m.f(v, &m.out); err != nil {
		return WrapOperatorError(m.name, err)
	}
	if err := m.out.Err; err != nil {
		m.out.Err = nil
		return err
	}
	return nil
}
