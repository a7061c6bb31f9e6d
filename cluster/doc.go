// Package cluster owns the job manager's role: it runs a planned job from
// start to end. The embedded local run (Run, which Environment.Execute
// calls) is this job manager with one in-process task manager, like
// Flink's MiniCluster, so that local and distributed runs share one path.
//
// # Roles
//
//	           job manager (this package)              task manager (runtime)
//	┌──────────────────────────────────────┐        ┌────────────────────────┐
//	│ Run: options, restore resolution,    │ Deploy │ subtasks, their        │
//	│ job identity, fallback, failover     │───────▶│ mailboxes, the network │
//	│ loop, retention, the finished marker │        │ stack, snapshots       │
//	│                                      │ Trigger│                        │
//	│ driver: steps checkpoint.Coordinator │ Notify │                        │
//	│ (metadata writes and discards on its │ Abort  │                        │
//	│ own workers, never on its loop)      │ Commit │                        │
//	│                                      │ Fail   │                        │
//	│ JobInfo: the job's live view         │◀───────│ acks, declines, end of │
//	│ (web and metrics read it)            │        │ input, failure, status │
//	└──────────────────────────────────────┘        └────────────────────────┘
//
// The job manager talks to the subtasks of an attempt only through the
// interfaces it owns: TaskManager (deploy an attempt) and Attempt (trigger
// a checkpoint, notify its completion, abort it, let sinks commit their
// final output, fail or cancel; acknowledgements, declines, the end of
// every input, the attempt's end and its vertices' status come back).
// runtime.Job implements Attempt in this process; a cluster carries the
// same calls over the network.
//
// # The cluster
//
// A cluster's job manager is the same failover loop with a
// JobManagerServer as its TaskManager: task managers (RunTaskManager, in
// other processes) register their slots over one bidirectional connect
// stream each (wire.go: plain structs in JSON over HTTP/2, mutual TLS with
// InternalTLS), and Deploy places an attempt's subtasks on their slots
// (slot i runs subtask i of every vertex), wires the part holding the
// sinks' first subtasks first, then the others, and starts them together.
// multiAttempt joins the parts into one Attempt: what the driver tells it
// goes to every part, acknowledgements and figures come back merged, and
// the first part to fail fails the rest. A task manager lost (its stream
// closed, or no heartbeat for heartbeat.timeout) fails its parts with
// ErrTaskManagerLost. minicluster.number-of-taskmanagers runs the same
// parts in this process over loopback TCP (loopbackTaskManagers).
//
// # Goroutines
//
// Run's caller's goroutine is the failover loop: it resolves the
// checkpoint to restore, deploys each attempt, and applies retention when
// the job ends. Per attempt with checkpointing, Run starts one driver
// goroutine (driver.run), which is the coordinator's only user while the
// attempt lives, and joins it before the next attempt; the driver owns two
// I/O workers (metadata writes, discards), which it stops and joins before
// it returns, after every metadata write it started has reported back. A
// checkpoint triggered on request (JobInfo.TriggerCheckpoint, the REST
// API's POST /jobs/:jobid/checkpoints) reaches the coordinator as a
// message into the driver's loop, like an acknowledgement; JobInfo keeps
// what became of the newest 100 requests. The
// attempt's own goroutines (one per subtask, fetchers, snapshot uploads)
// belong to the task manager. JobInfo is safe for concurrent use; the web
// server reads it from its handlers.
//
// In a cluster, the JobManagerServer owns its HTTP server and, per task
// manager, a session writer, a heartbeat monitor and a stream reader; Close
// stops and joins them. A task manager process owns its heartbeat
// goroutine, and per started attempt the goroutines that forward its
// acknowledgements, end of input, failure and figures; it joins them when
// the attempt ends, and all of them before it returns.
//
// # Errors
//
// ErrRestore (a checkpoint the job refuses to start from, with ErrFinished
// for a finished job), ErrStorage (checkpoint storage unreachable: the
// restart strategy decides), ErrOutputMayRepeat (the job succeeded, but a
// fallback past newer checkpoints may have repeated output) and
// ErrNotRunning (JobInfo.Cancel of an ended job) are the sentinels a
// caller acts on; the weir command maps them to its exit codes. In a
// cluster: ErrTaskManagerLost, ErrNoSlots (slot.request.timeout passed),
// ErrJobManagerLost (on a task manager) and ErrCheckpointDirNotShared (a
// task manager does not see the job manager's local checkpoint directory).
package cluster
