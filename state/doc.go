// Package state owns keyed state: the typed state handles user functions
// read and write (ValueState, ListState, MapState, ReducingState,
// AggregatingState) and the backend that stores them for one keyed operator
// instance.
//
// State is partitioned by key group (see internal/keygroup): the backend
// keeps one table per registered state and, inside it, one map per key
// group the subtask owns, so a snapshot or a rescale moves whole groups.
//
// Concurrency: a KeyedBackend and its handles belong to one subtask's
// goroutine. The operator sets the current key before calling user code;
// every handle reads and writes the entry of that key. Nothing here locks.
//
// The heap backend (state.backend.type: hashmap) is the only one so far.
package state
