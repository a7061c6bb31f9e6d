package runtime

import (
	"github.com/weirstream/weir/codec"
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/operator"
)

// TypeInfo is the runtime's handle on a record type: it builds the typed
// pieces (writers, readers, fan-outs) of a task whose wiring is decided at
// run time, so the record path itself never goes through `any`.
type TypeInfo interface {
	newRecordWriter(pw *PartitionWriter, e graph.Edge, maxP, subtask int, rc *operator.RecordContext) (any, error)
	newRecordReader(target any, rc *operator.RecordContext) bufferProcessor
	fanOut(outs []any) any
}

// TypeOf returns the TypeInfo of T, serialized with c.
func TypeOf[T any](c codec.Codec[T]) TypeInfo { return typeInfo[T]{c} }

type typeInfo[T any] struct{ codec codec.Codec[T] }

func (t typeInfo[T]) newRecordWriter(pw *PartitionWriter, e graph.Edge, maxP, subtask int, rc *operator.RecordContext) (any, error) {
	w, err := newRecordWriter(t.codec, pw, e, maxP, subtask)
	if err != nil {
		return nil, err
	}
	w.rc = rc
	return operator.Output[T](w), nil
}

func (t typeInfo[T]) newRecordReader(target any, rc *operator.RecordContext) bufferProcessor {
	return &recordReader[T]{codec: t.codec, target: target.(operator.Output[T]), rc: rc}
}

func (t typeInfo[T]) fanOut(outs []any) any {
	switch len(outs) {
	case 0:
		return operator.Output[T](discardOutput[T]{})
	case 1:
		return outs[0].(operator.Output[T])
	}
	f := make(fanOut[T], len(outs))
	for i, o := range outs {
		f[i] = o.(operator.Output[T])
	}
	return operator.Output[T](f)
}

type fanOut[T any] []operator.Output[T]

func (f fanOut[T]) Collect(v T) error {
	for _, o := range f {
		if err := o.Collect(v); err != nil {
			return err
		}
	}
	return nil
}

func (f fanOut[T]) EmitWatermark(wm operator.Watermark) error {
	for _, o := range f {
		if err := o.EmitWatermark(wm); err != nil {
			return err
		}
	}
	return nil
}

type discardOutput[T any] struct{}

func (discardOutput[T]) Collect(T) error                        { return nil }
func (discardOutput[T]) EmitWatermark(operator.Watermark) error { return nil }
