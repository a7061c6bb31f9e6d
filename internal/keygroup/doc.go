// Package keygroup maps keys to key groups and key groups to subtasks.
//
// A key's group is xxhash64(serialized key) mod maxParallelism. The hash is
// computed over the key's codec bytes, never over Go's map hash, so every
// process of a job (and every later run restoring its checkpoints) agrees on
// where a key lives. Subtask i of p owns the contiguous range of groups given
// by RangeFor, the same assignment Flink uses
// (KeyGroupRangeAssignment.computeKeyGroupRangeForOperatorIndex), so state
// moves between subtasks in whole groups when the parallelism changes.
package keygroup
