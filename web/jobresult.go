package web

import (
	"net/http"
	"strings"

	"github.com/weirstream/weir/cluster"
	"github.com/weirstream/weir/web/api"
)

// JobConfigReader is implemented by a Job that tells its execution
// configuration, as *cluster.JobInfo does. The Job interface leaves it out
// so that a Job written before it still serves; for such a job
// /jobs/:jobid/config answers zero figures and job details a
// maxParallelism of -1.
type JobConfigReader interface {
	JobConfig() cluster.JobConfig
}

var _ JobConfigReader = (*cluster.JobInfo)(nil)

// configOf is j's execution configuration, or the zero one with a
// MaxParallelism of -1 (Flink's "unknown") when j does not tell it.
func configOf(j Job) cluster.JobConfig {
	if r, ok := j.(JobConfigReader); ok {
		if c := r.JobConfig(); c.MaxParallelism > 0 {
			return c
		}
	}
	return cluster.JobConfig{MaxParallelism: -1}
}

// ended reports whether a job state is final.
func ended(state string) bool {
	switch state {
	case cluster.StateFinished, cluster.StateCanceled, cluster.StateFailed:
		return true
	}
	return false
}

// ---- /jobs/:jobid/status ----

func (s *Server) jobStatus(w http.ResponseWriter, _ *http.Request, p params) {
	if v := s.lookupJob(w, p); v != nil {
		writeJSON(w, http.StatusOK, api.JobStatus{Status: v.state})
	}
}

// ---- /jobs/:jobid/config ----

func (s *Server) jobConfig(w http.ResponseWriter, _ *http.Request, p params) {
	v := s.lookupJob(w, p)
	if v == nil {
		return
	}
	c := configOf(v.job)
	user := c.Options
	if user == nil {
		user = map[string]string{}
	}
	writeJSON(w, http.StatusOK, api.JobConfig{
		JID: v.id, Name: v.name,
		ExecutionConfig: api.ExecutionConfig{
			ExecutionMode: "PIPELINED", RestartStrategy: c.RestartStrategy,
			JobParallelism: c.Parallelism, UserConfig: user, MaxParallelism: c.MaxParallelism,
		},
	})
}

// ---- /jobs/:jobid/execution-result ----

func (s *Server) executionResult(w http.ResponseWriter, _ *http.Request, p params) {
	v := s.lookupJob(w, p)
	if v == nil {
		return
	}
	if !ended(v.state) {
		writeJSON(w, http.StatusOK, api.JobExecutionResult{Status: api.QueueStatus{ID: "IN_PROGRESS"}})
		return
	}
	res := &api.JobResult{ID: v.id, AccumulatorResults: map[string]string{}, NetRuntime: max(v.duration(), 0)}
	switch v.state {
	case cluster.StateFinished:
		res.ApplicationStatus = "SUCCEEDED"
	case cluster.StateCanceled:
		res.ApplicationStatus = "CANCELED"
	default:
		res.ApplicationStatus = "FAILED"
		res.FailureCause = &api.ThrowableInfo{Class: "unknown", StackTrace: "the job failed; its cause was not recorded"}
		if exs := v.job.Exceptions(); len(exs) > 0 {
			first, _, _ := strings.Cut(exs[0].Message, "\n")
			res.FailureCause = &api.ThrowableInfo{Class: first, StackTrace: exs[0].Message}
		}
	}
	writeJSON(w, http.StatusOK, api.JobExecutionResult{Status: api.QueueStatus{ID: "COMPLETED"}, Result: res})
}
