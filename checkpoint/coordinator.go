package checkpoint

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Coordinator decides when checkpoints start, collects acknowledgements,
// completes, expires and aborts checkpoints, retains completed ones, and
// decides when too many failures must fail the job. It is a plain state
// machine: it has no goroutines, does no I/O and reads no clock. Every method
// takes the current time and returns the Actions its driver must execute.
//
// A Coordinator is not safe for concurrent use: one goroutine (the job
// manager's) owns it. Stats returns a copy that may be shared.
type Coordinator struct {
	cfg         CoordinatorConfig // normalized
	tasks       []SubtaskKey      // must acknowledge, ordered
	taskIndex   map[SubtaskKey]int
	sources     []SubtaskKey
	parallelism map[int]int // vertex -> number of subtasks

	running  bool  // all tasks running: triggers allowed
	shutdown error // non-nil once shut down

	nextID  ID
	pending map[ID]*PendingCheckpoint

	// retained completed checkpoints, oldest first, at most NumRetained.
	retained []*CompletedCheckpoint
	restored *CompletedCheckpoint
	// lastNotified is the newest checkpoint tasks were told is complete.
	lastNotified ID

	lastCompletion time.Time // zero: none yet; min pause starts here
	nextPeriodic   time.Time // zero: no periodic trigger scheduled
	periodicDue    bool      // a periodic trigger is due, held back by MaxConcurrent

	// failure counting (Flink's CheckpointFailureManager)
	consecutive int
	counted     map[ID]bool
	lastSuccess ID

	// recently aborted IDs, to recognise late acknowledgements
	aborted []ID

	stats statsTracker
}

// NewCoordinator creates a coordinator for a job whose subtasks tasks must all
// acknowledge every checkpoint and whose source subtasks sources receive the
// triggers. restored is the checkpoint the job started from, or nil; IDs
// continue after it (or at cfg.NextID when that is larger). The coordinator
// starts with tasks not running: call TasksRunning once they are.
//
// It panics if cfg.Validate fails, tasks is empty or has duplicates, or a
// source is not among tasks: those are programming errors of the driver.
func NewCoordinator(cfg CoordinatorConfig, tasks []SubtaskKey, sources []SubtaskKey, restored *CompletedCheckpoint, now time.Time) *Coordinator {
	if err := cfg.Validate(); err != nil {
		panic(fmt.Sprintf("checkpoint: invalid coordinator configuration: %v", err))
	}
	if len(tasks) == 0 {
		panic("checkpoint: NewCoordinator without tasks")
	}
	c := &Coordinator{
		cfg:         cfg.normalized(),
		tasks:       slices.Clone(tasks),
		taskIndex:   make(map[SubtaskKey]int, len(tasks)),
		sources:     slices.Clone(sources),
		parallelism: make(map[int]int),
		nextID:      1,
		pending:     make(map[ID]*PendingCheckpoint),
		counted:     make(map[ID]bool),
	}
	slices.SortFunc(c.tasks, compareKeys)
	for i, t := range c.tasks {
		if _, dup := c.taskIndex[t]; dup {
			panic(fmt.Sprintf("checkpoint: task %v listed twice", t))
		}
		c.taskIndex[t] = i
		c.parallelism[t.Vertex]++
	}
	for _, s := range c.sources {
		if _, ok := c.taskIndex[s]; !ok {
			panic(fmt.Sprintf("checkpoint: source %v is not among the tasks", s))
		}
	}
	names := make([]string, len(c.tasks))
	for i, t := range c.tasks {
		names[i] = c.name(t)
	}
	c.stats = statsTracker{
		historySize: c.cfg.HistorySize,
		tasks:       c.tasks,
		names:       names,
		inProgress:  make(map[ID]*CheckpointStats),
	}
	if restored != nil {
		c.restored = restored
		c.nextID = restored.ID + 1
		c.lastSuccess = restored.ID
		c.lastNotified = restored.ID
		if c.cfg.RestoreMode == Claim && restored.Kind == KindCheckpoint {
			c.retained = append(c.retained, restored)
		}
		c.stats.onRestore(restored, now)
	}
	if c.cfg.NextID > c.nextID {
		c.nextID = c.cfg.NextID
	}
	return c
}

func compareKeys(a, b SubtaskKey) int {
	if a.Vertex != b.Vertex {
		return a.Vertex - b.Vertex
	}
	return a.Subtask - b.Subtask
}

// name is the human name of a subtask.
func (c *Coordinator) name(t SubtaskKey) string {
	if c.cfg.TaskName != nil {
		return c.cfg.TaskName(t)
	}
	return fmt.Sprintf("vertex %d (%d/%d)", t.Vertex, t.Subtask+1, c.parallelism[t.Vertex])
}

// TasksRunning tells the coordinator that every task is running, so
// checkpoints may be triggered. The first periodic checkpoint is due one
// Interval later.
func (c *Coordinator) TasksRunning(now time.Time) {
	if c.shutdown != nil {
		return
	}
	c.running = true
	c.periodicDue = false
	c.nextPeriodic = time.Time{}
	if c.cfg.Interval > 0 {
		c.nextPeriodic = now.Add(c.cfg.Interval)
	}
}

// TasksStopped tells the coordinator that tasks stopped (a failover, a
// cancel). Checkpoints in progress that are not yet fully acknowledged are
// aborted (this does not count as a failure) and no checkpoint is triggered
// until TasksRunning. Fully acknowledged ones still complete through
// Finalized. cause may be nil.
func (c *Coordinator) TasksStopped(now time.Time, cause error) []Action {
	return c.stop(now, ErrTasksStopped, cause)
}

// Shutdown stops the coordinator for good: pending checkpoints that are not
// fully acknowledged are aborted, later calls trigger nothing. A Finalized
// for a checkpoint already being finalized is still recorded.
func (c *Coordinator) Shutdown(now time.Time, cause error) []Action {
	if c.shutdown != nil {
		return nil
	}
	c.shutdown = ErrShutdown
	return c.stop(now, ErrShutdown, cause)
}

// stop halts triggering and aborts, for reason, every pending checkpoint
// that is not fully acknowledged.
func (c *Coordinator) stop(now time.Time, reason, cause error) []Action {
	c.halt()
	var acts []Action
	for _, p := range c.pendingInOrder() {
		if !p.finalizing {
			acts = append(acts, c.abort(p, &AbortedError{Checkpoint: p.ID, Kind: p.Kind, Reason: reason, Cause: cause}, now)...)
		}
	}
	return acts
}

// halt triggers nothing until TasksRunning.
func (c *Coordinator) halt() {
	c.running, c.periodicDue, c.nextPeriodic = false, false, time.Time{}
}

// Restored records that the job's tasks were restored from cp (after a
// failover), for the statistics.
func (c *Coordinator) Restored(cp *CompletedCheckpoint, now time.Time) {
	if cp != nil {
		c.stats.onRestore(cp, now)
	}
}

// Tick expires checkpoints whose deadline passed and triggers a periodic
// checkpoint when one is due, respecting MaxConcurrent and MinPause. Call it
// at NextDeadline, or more often.
func (c *Coordinator) Tick(now time.Time) []Action {
	var acts []Action
	for _, p := range c.pendingInOrder() {
		if p.finalizing || now.Before(p.Deadline) {
			continue
		}
		missing := p.NotYetAcknowledged()
		names := make([]string, len(missing))
		for i, t := range missing {
			names[i] = c.name(t)
		}
		acts = append(acts, c.abort(p, &ExpiredError{
			Checkpoint: p.ID, Kind: p.Kind, Timeout: c.cfg.Timeout,
			Total: len(c.tasks), Missing: missing, Names: names,
		}, now)...)
	}
	return append(acts, c.periodic(now)...)
}

// NextDeadline is the earliest time Tick has work to do: a pending
// checkpoint's deadline or the next periodic trigger. It is the zero time when
// nothing is scheduled. A result not after now means "call Tick now".
func (c *Coordinator) NextDeadline(now time.Time) time.Time {
	var next time.Time
	earlier := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for _, p := range c.pending {
		if !p.finalizing {
			earlier(p.Deadline)
		}
	}
	if c.running && c.shutdown == nil && c.cfg.Interval > 0 {
		switch {
		case c.periodicDue:
			if len(c.pending) < c.cfg.MaxConcurrent {
				earlier(now)
			}
		default:
			earlier(c.nextPeriodic)
		}
	}
	return next
}

// periodic triggers the periodic checkpoint if it is due and allowed.
func (c *Coordinator) periodic(now time.Time) []Action {
	if !c.running || c.shutdown != nil || c.cfg.Interval == 0 {
		return nil
	}
	if !c.periodicDue {
		if c.nextPeriodic.IsZero() || now.Before(c.nextPeriodic) {
			return nil
		}
		c.periodicDue = true
	}
	if len(c.pending) >= c.cfg.MaxConcurrent {
		return nil // stays due; a completion or abort retries
	}
	if c.cfg.MinPause > 0 && !c.lastCompletion.IsZero() {
		if earliest := c.lastCompletion.Add(c.cfg.MinPause); now.Before(earliest) {
			c.periodicDue = false
			c.nextPeriodic = earliest
			return nil
		}
	}
	c.periodicDue = false
	c.nextPeriodic = now.Add(c.cfg.Interval)
	return c.trigger(KindCheckpoint, now)
}

// TriggerNow starts a checkpoint or savepoint at once, for a person or a
// tool. A savepoint is forced: neither MaxConcurrent nor MinPause holds it
// back. A manual checkpoint is refused while MaxConcurrent checkpoints are in
// progress (MinPause does not apply). Either is refused, with a
// *TriggerError, while tasks are not all running or after Shutdown. The
// periodic schedule is not moved.
func (c *Coordinator) TriggerNow(now time.Time, kind Kind) ([]Action, error) {
	switch {
	case kind != KindCheckpoint && kind != KindSavepoint:
		return nil, &TriggerError{Kind: kind, Reason: fmt.Errorf("unknown kind %d", kind)}
	case c.shutdown != nil:
		return nil, &TriggerError{Kind: kind, Reason: ErrShutdown}
	case !c.running:
		return nil, &TriggerError{Kind: kind, Reason: ErrNotAllTasksRunning}
	case kind == KindCheckpoint && len(c.pending) >= c.cfg.MaxConcurrent:
		return nil, &TriggerError{Kind: kind, Reason: ErrTooManyConcurrent,
			Detail: fmt.Sprintf("%d in progress, execution.checkpointing.max-concurrent-checkpoints is %d", len(c.pending), c.cfg.MaxConcurrent)}
	}
	return c.trigger(kind, now), nil
}

func (c *Coordinator) trigger(kind Kind, now time.Time) []Action {
	id := c.nextID
	c.nextID++
	c.pending[id] = newPending(id, kind, c.cfg.Mode, now, c.cfg.Timeout, c.tasks)
	c.stats.onTrigger(id, kind, c.cfg.Mode, now)
	return []Action{TriggerAction{
		Checkpoint: id, Timestamp: now, Kind: kind, Mode: c.cfg.Mode,
		Sources: slices.Clone(c.sources),
	}}
}

// Receive handles an Ack or a Decline (or a pointer to one). The coordinator
// takes ownership of the message and its states. It panics on any other
// type.
//
// An acknowledgement completes the checkpoint's collection when it is the
// last one (FinalizeAction). An acknowledgement of a recently aborted or
// expired checkpoint, or from a subtask that is not part of the job, yields a
// DiscardAction for its files; a duplicate is ignored. A decline aborts the
// checkpoint (AbortAction, DiscardAction, and FailJobAction if it tips the
// failure count over).
func (c *Coordinator) Receive(msg any, now time.Time) []Action {
	switch m := msg.(type) {
	case Ack:
		return c.receiveAck(&m, now)
	case *Ack:
		return c.receiveAck(m, now)
	case Decline:
		return c.receiveDecline(&m, now)
	case *Decline:
		return c.receiveDecline(m, now)
	}
	panic(fmt.Sprintf("checkpoint: Coordinator.Receive: unsupported message %T", msg))
}

func (c *Coordinator) receiveAck(a *Ack, now time.Time) []Action {
	idx, known := c.taskIndex[a.Task]
	if known {
		normalizeMetrics(a)
	}
	p := c.pending[a.Checkpoint]
	switch {
	case p == nil:
		if slices.Contains(c.aborted, a.Checkpoint) {
			if known {
				c.stats.onAck(a.Checkpoint, idx, a.Metrics, now, true)
			}
			return []Action{DiscardAction{Checkpoint: a.Checkpoint, States: a.States}}
		}
		return nil // unknown or too old to remember: leave its files alone
	case !known:
		return []Action{DiscardAction{Checkpoint: a.Checkpoint, States: a.States}}
	case p.finalizing || p.Acknowledged(a.Task):
		return nil // duplicate
	}
	p.acks[a.Task] = a
	p.ackTimes[a.Task] = now
	if now.After(p.lastAck) {
		p.lastAck = now
	}
	c.stats.onAck(p.ID, idx, a.Metrics, now, false)
	if !p.FullyAcknowledged() {
		return nil
	}
	p.finalizing = true
	return []Action{FinalizeAction{Pending: p, Checkpoint: p.completed(&c.cfg, c.parallelism)}}
}

// normalizeMetrics fills in sizes a subtask did not report: the state size
// from its file references, the checkpointed size as the state size.
func normalizeMetrics(a *Ack) {
	if a.Metrics.StateSize == 0 {
		for i := range a.States {
			a.Metrics.StateSize += a.States[i].Size()
		}
	}
	if a.Metrics.CheckpointedSize == 0 {
		a.Metrics.CheckpointedSize = a.Metrics.StateSize
	}
}

func (c *Coordinator) receiveDecline(d *Decline, now time.Time) []Action {
	p := c.pending[d.Checkpoint]
	if p == nil || p.finalizing {
		return nil // too late: it already failed or completed its collection
	}
	if _, ok := c.taskIndex[d.Task]; !ok {
		return nil
	}
	acts := c.abort(p, &DeclinedError{Checkpoint: p.ID, Kind: p.Kind, Task: d.Task, TaskName: c.name(d.Task), Cause: d.Cause}, now)
	return append(acts, c.periodic(now)...)
}

// Finalized reports the outcome of a FinalizeAction: err is nil when the
// metadata of checkpoint id is durable. meta is what was written (nil: the
// CompletedCheckpoint of the FinalizeAction).
//
// On success a checkpoint becomes the latest: older pending checkpoints are
// aborted as subsumed, tasks are notified (NotifyCompleteAction), and
// checkpoints beyond NumRetained are discarded. A savepoint is only recorded.
// On failure the checkpoint is aborted and its files discarded.
func (c *Coordinator) Finalized(id ID, meta *CompletedCheckpoint, err error, now time.Time) []Action {
	p := c.pending[id]
	if p == nil || !p.finalizing {
		return nil
	}
	if err != nil {
		acts := c.abort(p, &FinalizeError{Checkpoint: id, Kind: p.Kind, Cause: err}, now)
		return append(acts, c.periodic(now)...)
	}
	if meta == nil {
		meta = p.completed(&c.cfg, c.parallelism)
	}
	delete(c.pending, id)
	c.lastCompletion = now
	if id > c.lastSuccess {
		c.lastSuccess = id
		c.consecutive = 0
		clear(c.counted)
	}
	c.stats.onComplete(id, meta.ExternalPath, now)
	if p.Kind == KindSavepoint {
		return c.periodic(now)
	}
	if c.shutdown != nil {
		return c.retain(meta) // recorded, but nobody to notify
	}

	var acts []Action
	for _, o := range c.pendingInOrder() {
		if o.ID < id && o.Kind == KindCheckpoint && !o.finalizing {
			acts = append(acts, c.abort(o, &AbortedError{Checkpoint: o.ID, Kind: o.Kind, Reason: ErrSubsumed, By: id}, now)...)
		}
	}
	if id > c.lastNotified {
		c.lastNotified = id
		acts = append(acts, NotifyCompleteAction{Checkpoint: id})
	}
	acts = append(acts, c.retain(meta)...)
	return append(acts, c.periodic(now)...)
}

// retain adds cp to the retained checkpoints and discards the oldest beyond
// NumRetained.
func (c *Coordinator) retain(cp *CompletedCheckpoint) []Action {
	i, _ := slices.BinarySearchFunc(c.retained, cp.ID, func(r *CompletedCheckpoint, id ID) int { return cmp.Compare(r.ID, id) })
	c.retained = slices.Insert(c.retained, i, cp)
	var acts []Action
	for len(c.retained) > c.cfg.NumRetained {
		old := c.retained[0]
		c.retained = c.retained[1:]
		c.stats.onDiscarded(old.ID)
		acts = append(acts, DiscardAction{Checkpoint: old.ID, States: old.States(), Completed: true})
	}
	return acts
}

// abort removes pending checkpoint p, failed for reason, and returns the
// actions that tell the tasks, discard its files and, when the failure tips
// the count over, fail the job.
func (c *Coordinator) abort(p *PendingCheckpoint, reason error, now time.Time) []Action {
	delete(c.pending, p.ID)
	if !slices.Contains(c.aborted, p.ID) {
		if len(c.aborted) == recentAborted {
			c.aborted = slices.Delete(c.aborted, 0, 1)
		}
		c.aborted = append(c.aborted, p.ID)
	}
	c.stats.onFail(p.ID, reason, now)
	acts := []Action{
		AbortAction{Checkpoint: p.ID, Kind: p.Kind, Reason: reason},
		DiscardAction{Checkpoint: p.ID, States: p.States()},
	}
	if c.countFailure(p, reason) {
		acts = append(acts, FailJobAction{Cause: &TooManyFailuresError{
			Consecutive: c.consecutive, Tolerable: c.cfg.TolerableFailures, Last: reason,
		}})
		c.consecutive = 0
		clear(c.counted)
		c.halt() // the job is failing
	}
	return acts
}

// countFailure counts a failure against the tolerable number and reports
// whether the job must fail. A checkpoint counts at most once, and not at all
// when a newer one already succeeded.
func (c *Coordinator) countFailure(p *PendingCheckpoint, reason error) bool {
	if c.cfg.TolerableFailures == UnlimitedFailures || !CountsAsFailure(p.Kind, reason) {
		return false
	}
	if p.ID <= c.lastSuccess || c.counted[p.ID] {
		return false
	}
	c.counted[p.ID] = true
	c.consecutive++
	return c.consecutive > c.cfg.TolerableFailures
}

func (c *Coordinator) pendingInOrder() []*PendingCheckpoint {
	out := make([]*PendingCheckpoint, 0, len(c.pending))
	for _, p := range c.pending {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *PendingCheckpoint) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Latest is the checkpoint to restore from on failover: the newest retained
// completed checkpoint, else the one the job was restored from, else nil.
// Savepoints taken by this job are not used for failover.
func (c *Coordinator) Latest() *CompletedCheckpoint {
	if n := len(c.retained); n > 0 {
		if c.restored != nil && c.restored.ID > c.retained[n-1].ID {
			return c.restored
		}
		return c.retained[n-1]
	}
	return c.restored
}

// Retained lists the retained completed checkpoints, oldest first.
func (c *Coordinator) Retained() []*CompletedCheckpoint { return slices.Clone(c.retained) }

// Pending returns the checkpoint in progress with the given ID, or nil.
func (c *Coordinator) Pending(id ID) *PendingCheckpoint { return c.pending[id] }

// NumPending is the number of checkpoints and savepoints in progress.
func (c *Coordinator) NumPending() int { return len(c.pending) }

// Stats returns a copy of the statistics.
func (c *Coordinator) Stats() Stats { return c.stats.snapshot(c.consecutive) }
