// Package collect is a sink that keeps every record in memory, for tests
// and small jobs.
//
// Records() returns all records in the order they arrived (across
// subtasks), BySubtask() the records of each subtask. Both return copies and
// are safe to call while the job runs. The sink is at-least-once: records
// written by an attempt that later failed stay, and records replayed after a
// restore appear again; call Reset between attempts if that matters.
package collect
