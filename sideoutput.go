package weir

import (
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/operator"
)

// OutputTag names a typed side output of an operator (Flink's OutputTag).
// Tags are compared by ID.
type OutputTag[X any] struct{ id string }

// NewOutputTag returns the tag called id.
func NewOutputTag[X any](id string) OutputTag[X] { return OutputTag[X]{id: id} }

// ID is the tag's name.
func (t OutputTag[X]) ID() string { return t.id }

// SideOutput is the stream of records s's operator emits to tag (from a
// process function with EmitTo, or a window's late records).
func SideOutput[T, X any](s DataStream[T], tag OutputTag[X]) DataStream[X] {
	c := codecFor[X](s.env, "SideOutput "+tag.id)
	e := s.edge()
	e.Partitioning, e.Tag = graph.Forward, tag.id
	ti := operator.TypeOf(c)
	return newStream(s.env, &graph.Node{Name: "SideOutput: " + tag.id, Inputs: []graph.Edge{e},
		Impl: &opNode[X, X]{in: ti, out: ti, inputs: 1, build: func(_ *operator.Context, out operator.Output[X]) (operator.Output[X], operator.Operator, error) {
			return out, operator.NoLifecycle{}, nil
		}}}, c)
}

// EmitTo sends v to the side output tag of the function's operator, with
// the current record's timestamp. Nothing happens if no one reads the tag.
func EmitTo[X any, K comparable](ctx *Context[K], tag OutputTag[X], v X) error {
	o := ctx.h.Side(tag.id)
	if o == nil {
		return nil
	}
	return o.(operator.Output[X]).Collect(v)
}
