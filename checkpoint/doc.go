// Package checkpoint owns Weir's checkpoint protocol on the job manager side:
// the data types that tasks report and that checkpoint metadata holds, and
// the Coordinator, the state machine that triggers, completes, expires and
// aborts checkpoints. Storage of files and metadata lives in the subpackage
// checkpoint/storage.
//
// # The coordinator
//
// The Coordinator follows Flink's CheckpointCoordinator,
// CheckpointRequestDecider and CheckpointFailureManager, in the style of
// etcd's raft: it is stepped by the driver (the job manager) with the current
// time and with messages, and answers with Actions to execute. It starts no
// goroutine, opens no file or socket and reads no clock, so tests step it
// through time by hand.
//
// The driver's loop:
//
//	c := checkpoint.NewCoordinator(cfg, tasks, sources, restored, now)
//	c.TasksRunning(now)                     // once every task runs
//	for {
//	    select {
//	    case <-timer(c.NextDeadline(now)):  // zero time: nothing scheduled
//	        do(c.Tick(now))
//	    case m := <-fromTasks:              // checkpoint.Ack or checkpoint.Decline
//	        do(c.Receive(m, now))
//	    case r := <-metadataWritten:        // result of a FinalizeAction
//	        do(c.Finalized(r.ID, r.Meta, r.Err, now))
//	    case req := <-savepointRequests:
//	        acts, err := c.TriggerNow(now, checkpoint.KindSavepoint)
//	        ...
//	    }
//	}
//
// where do executes the actions in order: TriggerAction (send to the
// sources), FinalizeAction (write the metadata, off the loop, then feed the
// result back through Finalized), NotifyCompleteAction and AbortAction (tell
// the tasks), DiscardAction (delete files, off the loop) and FailJobAction
// (fail the job; then call TasksStopped, restore from Latest and call
// TasksRunning again).
//
// Invariants:
//   - One owner: a Coordinator is used from one goroutine; Stats returns a
//     copy for others.
//   - No I/O: everything that touches storage or tasks is an Action.
//   - IDs ascend and are never reused, also across restores (NewCoordinator
//     continues after the restored checkpoint, or at CoordinatorConfig.NextID).
//   - A checkpoint is complete only after Finalized reports its metadata
//     durable; only then are tasks notified and older checkpoints discarded.
//   - A fully acknowledged checkpoint does not expire; the driver must call
//     Finalized for every FinalizeAction.
//   - At most NumRetained completed checkpoints are kept; savepoints are never
//     retained nor discarded by the coordinator.
//
// Errors: the sentinels in errors.go say why a checkpoint failed or a trigger
// was refused; the typed errors (*ExpiredError, *DeclinedError, ...) carry the
// checkpoint ID, the subtask and a sentence for people. CountsAsFailure is the
// one rule for what counts towards execution.checkpointing.tolerable-failed-
// checkpoints.
package checkpoint
