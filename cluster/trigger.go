package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/weirstream/weir/checkpoint"
)

// ErrCheckpointingDisabled is returned by JobInfo.TriggerCheckpoint for a
// job that takes no checkpoints.
var ErrCheckpointingDisabled = errors.New("checkpointing is not enabled")

// Trigger request states, with the names of Flink's QueueStatus.
const (
	TriggerInProgress = "IN_PROGRESS"
	TriggerCompleted  = "COMPLETED"
)

// maxTriggerResults bounds the trigger requests JobInfo remembers; the
// oldest is forgotten first.
const maxTriggerResults = 100

// TriggerResult is what became of a checkpoint triggered by
// JobInfo.TriggerCheckpoint: Status is TriggerInProgress until the
// checkpoint completed or failed, then TriggerCompleted with Err nil (it
// completed) or why it failed or was never triggered. Checkpoint is its ID,
// 0 when the coordinator refused to trigger one.
type TriggerResult struct {
	Status     string
	Checkpoint checkpoint.ID
	Err        error
	Time       time.Time // when it was requested
}

// triggerRequest asks a driver's loop to trigger a checkpoint now. The
// loop calls done, on its own goroutine, with the checkpoint it triggered
// or why it triggered none, before it reports the checkpoint's first
// statistics.
type triggerRequest struct {
	done func(checkpoint.ID, error)
}

// driverHandle is how JobInfo reaches the current attempt's driver:
// requests is its loop's request channel, closing is closed once the loop
// takes no more requests.
type driverHandle struct {
	requests chan<- triggerRequest
	closing  <-chan struct{}
}

// NewTriggerID returns a new trigger request ID: 32 hexadecimal digits, as
// Flink's TriggerId.
func NewTriggerID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// TriggerCheckpoint triggers a checkpoint of the running job now (Flink's
// POST /jobs/:jobid/checkpoints) and returns the request's ID, under which
// TriggerResult tells what became of it. requestID names the request
// (empty: a new ID); a request ID already known triggers nothing again and
// returns the same ID. It fails with ErrCheckpointingDisabled for a job
// that takes no checkpoints and with ErrNotRunning while no attempt runs
// (before the start, between attempts, after the end). A trigger the
// checkpoint coordinator refuses (too many in progress, tasks not all
// running) is not an error here: its result says why.
func (j *JobInfo) TriggerCheckpoint(ctx context.Context, requestID string) (string, error) {
	if requestID == "" {
		requestID = NewTriggerID()
	}
	j.mu.Lock()
	_, known := j.mu.triggers[requestID]
	d, cfg, state := j.mu.driver, j.mu.config, j.mu.state
	j.mu.Unlock()
	switch {
	case known:
		return requestID, nil
	case !cfg.Enabled && state != StateCreated:
		return "", fmt.Errorf("%w for job %s", ErrCheckpointingDisabled, j.id)
	case d == nil:
		return "", fmt.Errorf("%w (%s): no attempt of job %s is running", ErrNotRunning, state, j.id)
	}
	replied := make(chan struct{})
	req := triggerRequest{done: func(id checkpoint.ID, err error) {
		j.recordTrigger(requestID, id, err)
		close(replied)
	}}
	select {
	case d.requests <- req:
	case <-d.closing:
		return "", fmt.Errorf("%w: the attempt of job %s is stopping", ErrNotRunning, j.id)
	case <-ctx.Done():
		return "", fmt.Errorf("triggering a checkpoint of job %s: %w", j.id, context.Cause(ctx))
	}
	<-replied // the loop calls done as soon as it has the request
	return requestID, nil
}

// TriggerResult tells what became of the checkpoint requested under id;
// false for an ID never given or already forgotten.
func (j *JobInfo) TriggerResult(id string) (TriggerResult, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	r, ok := j.mu.triggers[id]
	if !ok {
		return TriggerResult{}, false
	}
	return *r, true
}

// recordTrigger keeps the result of a trigger request; it runs on the
// driver's loop, before the checkpoint's statistics are reported.
func (j *JobInfo) recordTrigger(requestID string, id checkpoint.ID, err error) {
	r := &TriggerResult{Status: TriggerInProgress, Checkpoint: id, Time: time.Now()}
	if err != nil {
		r.Status, r.Err = TriggerCompleted, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.mu.triggers == nil {
		j.mu.triggers = map[string]*TriggerResult{}
	}
	j.mu.triggers[requestID] = r
	j.mu.triggerOrder = append(j.mu.triggerOrder, requestID)
	if len(j.mu.triggerOrder) > maxTriggerResults {
		delete(j.mu.triggers, j.mu.triggerOrder[0])
		j.mu.triggerOrder = j.mu.triggerOrder[1:]
	}
}

// resolveTriggers completes the trigger results whose checkpoint ended in
// s; j.mu is held.
func (j *JobInfo) resolveTriggers(s *checkpoint.Stats) {
	for _, r := range j.mu.triggers {
		if r.Status != TriggerInProgress {
			continue
		}
		for _, h := range s.History {
			if h.ID != r.Checkpoint {
				continue
			}
			switch h.Status {
			case checkpoint.StatusCompleted:
				r.Status = TriggerCompleted
			case checkpoint.StatusFailed:
				r.Status, r.Err = TriggerCompleted, h.Failure
				if r.Err == nil {
					r.Err = fmt.Errorf("checkpoint %d failed", h.ID)
				}
			}
			break
		}
	}
}

// driving makes d the driver TriggerCheckpoint reaches; nil when none.
func (j *JobInfo) driving(d *driverHandle) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.mu.driver = d
}
