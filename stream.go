package weir

import (
	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/operator"
)

// Source and Sink are the connector contracts (see package runtime).
type (
	Source[T any]       = connector.Source[T]
	SourceReader[T any] = connector.SourceReader[T]
	SourceContext       = connector.SourceContext
	Sink[T any]         = connector.Sink[T]
	SinkWriter[T any]   = connector.SinkWriter[T]
	SinkContext         = connector.SinkContext
)

// Collector receives the records a function emits. If a downstream operator
// fails, further records are dropped and the function's caller returns that
// failure once the function returns.
type Collector[T any] = operator.Collector[T]

// FromSource declares a source.
func FromSource[T any](e *Environment, src Source[T], name string) DataStream[T] {
	c := codecFor[T](e, name)
	return newStream(e, &graph.Node{Name: name, Kind: graph.KindSource,
		Impl: &operator.SourceNode[T]{Source: src, Out: operator.TypeOf(c)}}, c)
}

// opNode is the NodeImpl of a one-input operator from I to O.
type opNode[I, O any] struct {
	in, out operator.TypeInfo
	build   func(ctx *operator.Context, out operator.Output[O]) (operator.Output[I], operator.Operator, error)
	inputs  int
}

func (o *opNode[I, O]) Build(ctx *operator.Context, out any) ([]any, operator.Operator, error) {
	in, op, err := o.build(ctx, out.(operator.Output[O]))
	ins := make([]any, o.inputs)
	for i := range ins {
		ins[i] = in
	}
	return ins, op, err
}
func (o *opNode[I, O]) OutType() operator.TypeInfo   { return o.out }
func (o *opNode[I, O]) InType(int) operator.TypeInfo { return o.in }

// oneInput declares an operator reading s.
func oneInput[I, O any](s DataStream[I], name string, keyed bool, e graph.Edge,
	build func(ctx *operator.Context, out operator.Output[O]) (operator.Output[I], operator.Operator, error)) DataStream[O] {
	c := codecFor[O](s.env, name)
	return newStream(s.env, &graph.Node{Name: name, Keyed: keyed, Inputs: []graph.Edge{e},
		Impl: &opNode[I, O]{in: operator.TypeOf(s.codec), out: operator.TypeOf(c), build: build, inputs: 1}}, c)
}

// Map applies f to every record.
func Map[I, O any](s DataStream[I], f func(I) (O, error)) DataStream[O] {
	return oneInput(s, "Map", false, s.edge(), func(ctx *operator.Context, out operator.Output[O]) (operator.Output[I], operator.Operator, error) {
		in, op := operator.NewMap(ctx, f, out)
		return in, op, nil
	})
}

// Filter keeps the records for which f returns true.
func Filter[T any](s DataStream[T], f func(T) (bool, error)) DataStream[T] {
	return oneInput(s, "Filter", false, s.edge(), func(ctx *operator.Context, out operator.Output[T]) (operator.Output[T], operator.Operator, error) {
		in, op := operator.NewFilter(ctx, f, out)
		return in, op, nil
	})
}

// FlatMap calls f for every record; f emits any number of records.
func FlatMap[I, O any](s DataStream[I], f func(I, Collector[O]) error) DataStream[O] {
	return oneInput(s, "FlatMap", false, s.edge(), func(ctx *operator.Context, out operator.Output[O]) (operator.Output[I], operator.Operator, error) {
		in, op := operator.NewFlatMap(ctx, f, out)
		return in, op, nil
	})
}

// Union merges streams of the same type into one.
func Union[T any](s DataStream[T], others ...DataStream[T]) DataStream[T] {
	edges := []graph.Edge{s.edge()}
	for _, o := range others {
		edges = append(edges, o.edge())
	}
	ti := operator.TypeOf(s.codec)
	return newStream(s.env, &graph.Node{Name: "Union", Inputs: edges,
		Impl: &opNode[T, T]{in: ti, out: ti, inputs: len(edges), build: func(_ *operator.Context, out operator.Output[T]) (operator.Output[T], operator.Operator, error) {
			return out, operator.NoLifecycle{}, nil
		}}}, s.codec)
}

// SinkStream is a declared sink, for setting its properties.
type SinkStream struct{ node *graph.Node }

// Name sets the sink's name.
func (s SinkStream) Name(name string) SinkStream { s.node.Name = name; return s }

// UID sets the sink's stable ID.
func (s SinkStream) UID(uid string) SinkStream { s.node.UID = uid; return s }

// SetParallelism sets how many subtasks run the sink.
func (s SinkStream) SetParallelism(p int) SinkStream { s.node.Parallelism = p; return s }

// SinkTo writes the stream to sink.
func (s DataStream[T]) SinkTo(sink Sink[T], name string) SinkStream {
	n := s.env.graph.Add(&graph.Node{Name: name, Kind: graph.KindSink, Inputs: []graph.Edge{s.edge()},
		Impl: &operator.SinkNode[T]{Sink: sink, In: operator.TypeOf(s.codec)}})
	return SinkStream{node: n}
}

// WithCodec makes the stream's records travel with c instead of the default
// codec of T.
func WithCodec[T any](s DataStream[T], c codec.Codec[T]) DataStream[T] {
	s.codec = c
	switch impl := s.node.Impl.(type) {
	case *operator.SourceNode[T]:
		impl.Out = operator.TypeOf(c)
	case interface{ setOut(operator.TypeInfo) }:
		impl.setOut(operator.TypeOf(c))
	}
	return s
}

func (o *opNode[I, O]) setOut(t operator.TypeInfo) { o.out = t }
