// Package graph holds a job's logical graph (the operators a program
// declared, with their edges) and its physical plan (operators chained into
// job vertices), as plain data.
//
// The package knows nothing of record types: each node carries an opaque
// Impl that the runtime type-asserts when it builds a task, and each hash
// edge an opaque key-group function. Planning is deterministic: the same
// program yields the same vertices, in the same order, in every process.
//
// Chaining: a node joins its input's chain when it has exactly one input, the
// edge is Forward, both sides have the same parallelism and neither side
// disabled chaining. A chain is a tree rooted at its head (a source, or a
// node fed through the network); records pass along it by function call.
//
// Status: VertexStatus and SubtaskStatus are a running job's figures per
// vertex and subtask (records, rates, busy and back-pressured time, output
// pool usage), as plain data too: the runtime samples them, and the job
// manager, the web server and the checkpoint diagnosis read them.
package graph
