package cluster

import "time"

// restartTimes are when the job last went to RESTARTING and to RUNNING,
// the timestamps Flink's RestartTimeGauge reads from the execution graph
// (getStatusTimestamp).
type restartTimes struct {
	restarting, running time.Time
}

// RestartingTime is Flink's restartingTime gauge of the job scope
// (org.apache.flink.runtime.executiongraph.metrics.RestartTimeGauge):
// the time between the job's last switch to RESTARTING and its next to
// RUNNING, or to the end when it ended without running again, or until now
// while the restart is in progress; 0 before the first restart. A restart
// strategy's delay counts in it: Weir's job is RESTARTING from the failure
// until the next attempt is deployed.
func (j *JobInfo) RestartingTime(now time.Time) time.Duration {
	j.mu.Lock()
	defer j.mu.Unlock()
	r := j.mu.restart
	var d time.Duration
	switch {
	case r.restarting.IsZero():
		return 0
	case !r.running.Before(r.restarting):
		d = r.running.Sub(r.restarting)
	case !j.mu.end.IsZero():
		d = j.mu.end.Sub(r.restarting)
	default:
		d = now.Sub(r.restarting)
	}
	return max(d, 0) // as Flink's Math.max: never negative
}
