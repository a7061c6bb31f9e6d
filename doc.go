// Package weir is the DataStream API of Weir, a stream-processing engine
// with Flink-grade fault tolerance.
//
// A job is an ordinary Go program: it creates an Environment, declares
// sources, transformations and sinks with typed generic functions (Map,
// FlatMap, Filter, KeyBy, Reduce, Sum, Process, Union), and calls Execute.
// Declaring starts nothing: the calls build a logical graph (package graph)
// that Execute plans into chained tasks and runs on the local runtime
// (package runtime).
//
// Records are Go values of any type with a codec (package codec): basic
// types, strings, byte slices, time.Time, tuples, plain structs, or a type
// that brings its own codec. Records cross task boundaries serialized, so a
// function never sees a value another subtask still holds.
//
// User functions return errors; an error fails the task, and the job with it
// (the restart strategy decides what happens next). Functions are called on
// one goroutine per subtask and never concurrently with themselves, so they
// need no locks; keyed state lives in the runtime's state backend, never in
// closures, so that checkpoints can capture it.
//
// Options use Apache Flink's names (package config): parallelism.default,
// pipeline.max-parallelism, execution.buffer-timeout.interval, and so on.
package weir
