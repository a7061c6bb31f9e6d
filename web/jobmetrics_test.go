package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir"
)

// GET /jobs/metrics is Flink's aggregated job metrics, not a job ID.
func TestAggregatedJobMetrics(t *testing.T) {
	f := fixture() // checkpoints; 4 completed, 1 failed, 5 triggered; the latest wrote 60 of 600 bytes
	ended := fixture()
	ended.id, ended.state, ended.end = "ffeeddccbbaa99887766554433221100", weir.StateFailed, t0.Add(time.Minute)
	ended.cfg.Enabled, ended.stats = false, nil
	c := fakeServer(t, f, ended)

	want := func(path, body string) {
		t.Helper()
		code, b := c.do(http.MethodGet, path)
		if code != http.StatusOK || strings.TrimSpace(string(b)) != body {
			t.Fatalf("GET %s: %d %s\nwant 200 %s", path, code, b, body)
		}
	}
	// Without get: the IDs of the metrics some job has, sorted.
	ids := []string{"fullRestarts", "lastCheckpointDuration", "lastCheckpointFullSize", "lastCheckpointSize", "numRestarts",
		"numberOfCompletedCheckpoints", "numberOfFailedCheckpoints", "numberOfInProgressCheckpoints",
		"restartingTime", "totalNumberOfCheckpoints", "uptime"}
	list := `[{"id":"` + strings.Join(ids, `"},{"id":"`) + `"}]`
	want("/jobs/metrics", list)
	want("/v1/jobs/metrics/", list)

	// With get: every aggregate by default, over the jobs that have the
	// metric (the checkpoint ones: only the job that checkpoints); a metric
	// no job has is left out.
	want("/jobs/metrics?get=numRestarts,lastCheckpointSize,noSuchMetric",
		`[{"id":"numRestarts","min":2,"max":2,"avg":2,"sum":4,"skew":0},`+
			`{"id":"lastCheckpointSize","min":60,"max":60,"avg":60,"sum":60,"skew":0}]`)
	// agg picks aggregates (in any case, repeated or comma-separated), jobs
	// picks jobs.
	want("/jobs/metrics?get=numRestarts&agg=SUM&agg=max&jobs="+strings.ToUpper(f.id), `[{"id":"numRestarts","max":2,"sum":2}]`)
	// Skew as Flink's: mean absolute deviation over the mean, in percent;
	// the running job's uptime against the ended job's 0 is 100.
	want("/jobs/metrics?get=uptime&agg=min,skew", `[{"id":"uptime","min":0,"skew":100}]`)
	want("/jobs/metrics?get=noSuchMetric", `[]`)

	c.wantError(http.MethodGet, "/jobs/metrics?get=uptime&agg=median", http.StatusBadRequest,
		`aggregation "median" in agg is not one of min, max, sum, avg, skew`)
	c.wantError(http.MethodGet, "/jobs/metrics?jobs=zz", http.StatusBadRequest, `job ID "zz" in jobs is not 32 hexadecimal digits`)
	c.wantError(http.MethodGet, "/jobs/metrics?jobs="+strings.Repeat("a", 32), http.StatusNotFound, "Job "+strings.Repeat("a", 32)+" not found.")
	c.wantError(http.MethodPost, "/jobs/metrics", http.StatusMethodNotAllowed, "not allowed")

	// The same metrics are on /metrics, behind flink_jobmanager_job_.
	_, prom := c.do(http.MethodGet, "/metrics")
	for _, id := range ids {
		if !strings.Contains(string(prom), "\nflink_jobmanager_job_"+id+"{") {
			t.Errorf("/metrics has no flink_jobmanager_job_%s", id)
		}
	}
}
