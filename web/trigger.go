package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/weirstream/weir/cluster"
	"github.com/weirstream/weir/web/api"
)

// CheckpointTriggerer is implemented by a Job that takes checkpoints on
// request, as *cluster.JobInfo does (POST /jobs/:jobid/checkpoints). The
// Job interface leaves it out so that a Job written before it still
// serves; such a job refuses the request with 409.
type CheckpointTriggerer interface {
	// TriggerCheckpoint triggers a checkpoint now and returns the request's
	// ID (requestID, or a new one when empty); it wraps
	// cluster.ErrCheckpointingDisabled or cluster.ErrNotRunning when the
	// job cannot take one.
	TriggerCheckpoint(ctx context.Context, requestID string) (string, error)
	// TriggerResult tells what became of a request; false for an unknown
	// ID.
	TriggerResult(requestID string) (cluster.TriggerResult, bool)
}

var _ CheckpointTriggerer = (*cluster.JobInfo)(nil)

// triggerTimeout bounds the wait for the job manager to take a trigger
// request (it answers within one step of its loop).
const triggerTimeout = 10 * time.Second

// maxTriggerBody bounds the body of a trigger request.
const maxTriggerBody = 64 << 10

// ---- POST /jobs/:jobid/checkpoints ----

func (s *Server) triggerCheckpoint(w http.ResponseWriter, r *http.Request, p params) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			// Also keeps cross-origin pages out: a form or text/plain POST
			// needs no CORS preflight, a JSON one does.
			writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("Unsupported media type %q: send the request without a body, or with Content-Type: application/json.", ct))
			return
		}
	}
	if !trustedHost(r.Host) {
		writeError(w, http.StatusForbidden, fmt.Sprintf("Checkpoint trigger refused: Host %q is neither an IP address nor localhost.", r.Host))
		return
	}
	v := s.lookupJob(w, p)
	if v == nil {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxTriggerBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("Bad request: cannot read the body: %v.", err))
		return
	}
	var req api.CheckpointTriggerRequest
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("Bad request: the body is not a checkpoint trigger request ({\"checkpointType\": \"CONFIGURED\", \"triggerId\": \"...\"}, both optional): %v.", err))
			return
		}
	}
	switch strings.ToUpper(req.CheckpointType) {
	case "", "CONFIGURED":
	case "FULL", "INCREMENTAL":
		writeError(w, http.StatusBadRequest, fmt.Sprintf("Bad request: checkpointType %s is not supported: Weir takes the checkpoint its configuration says (state.backend.incremental); leave checkpointType out or send CONFIGURED.", req.CheckpointType))
		return
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("Bad request: unknown checkpointType %q; the only one is CONFIGURED.", req.CheckpointType))
		return
	}
	tid := strings.ToLower(req.TriggerID)
	if tid != "" && !isHexID(tid) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("Bad request: triggerId %q is not 32 hexadecimal digits.", req.TriggerID))
		return
	}
	t, ok := v.job.(CheckpointTriggerer)
	if !ok {
		writeError(w, http.StatusConflict, fmt.Sprintf("Job %s cannot take checkpoints on request.", v.id))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), triggerTimeout)
	defer cancel()
	id, err := t.TriggerCheckpoint(ctx, tid)
	switch {
	case errors.Is(err, cluster.ErrCheckpointingDisabled):
		writeError(w, http.StatusConflict, fmt.Sprintf("Cannot trigger a checkpoint of job %s: checkpointing is not enabled for it. "+
			"Start the job with execution.checkpointing.interval set (for example -D execution.checkpointing.interval=10min, "+
			"and execution.checkpointing.dir) to take checkpoints, periodic or on request.", v.id))
		return
	case errors.Is(err, cluster.ErrNotRunning):
		writeError(w, http.StatusConflict, fmt.Sprintf("Cannot trigger a checkpoint of job %s: %v. "+
			"A checkpoint is taken only while the job runs; retry once GET /jobs/%s/status says RUNNING.", v.id, err, v.id))
		return
	case err != nil:
		writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("Cannot trigger a checkpoint of job %s: %v; retry.", v.id, err))
		return
	}
	s.logger.Info("checkpoint requested through the REST API", "job", v.name, "jid", v.id, "request", id, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusAccepted, api.TriggerResponse{RequestID: id})
}

// ---- GET /jobs/:jobid/checkpoints/:triggerid ----

func (s *Server) checkpointTriggerStatus(w http.ResponseWriter, _ *http.Request, p params) {
	v := s.lookupJob(w, p)
	if v == nil {
		return
	}
	tid := strings.ToLower(p["triggerid"])
	if !isHexID(tid) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("Bad request: trigger ID %q is not 32 hexadecimal digits.", p["triggerid"]))
		return
	}
	var res cluster.TriggerResult
	ok := false
	if t, is := v.job.(CheckpointTriggerer); is {
		res, ok = t.TriggerResult(tid)
	}
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("There is no checkpoint trigger request %s for job %s: "+
			"the ID is not one POST /jobs/%s/checkpoints returned, or it is older than the newest 100 requests, which are kept.", tid, v.id, v.id))
		return
	}
	if res.Status != cluster.TriggerCompleted {
		writeJSON(w, http.StatusOK, api.CheckpointTriggerStatus{Status: api.QueueStatus{ID: cluster.TriggerInProgress}})
		return
	}
	info := &api.CheckpointTriggerInfo{}
	if res.Err == nil {
		id := int64(res.Checkpoint)
		info.CheckpointID = &id
	} else {
		msg := res.Err.Error()
		first, _, _ := strings.Cut(msg, "\n")
		info.FailureCause = &api.ThrowableInfo{Class: first, StackTrace: msg}
		info.FailureReason = failureReason(res.Err)
	}
	writeJSON(w, http.StatusOK, api.CheckpointTriggerStatus{Status: api.QueueStatus{ID: cluster.TriggerCompleted}, Operation: info})
}
