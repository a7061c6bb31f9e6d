package web

import (
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strings"

	"github.com/weirstream/weir/web/api"
)

// aggregations are the values of Flink's ?agg= query parameter
// (MetricsAggregationParameter.AggregationMode), in Flink's order.
var aggregations = []string{"min", "max", "sum", "avg", "skew"}

// queryList is the comma-separated values of a query parameter, also when
// it is given more than once; empty items are dropped.
func queryList(r *http.Request, key string) []string {
	var out []string
	for _, v := range r.URL.Query()[key] {
		for _, item := range strings.Split(v, ",") {
			if item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

// aggregatedJobMetrics is GET /jobs/metrics, Flink's
// AggregatingJobsMetricsHandler: the job-scope metrics (those of
// jobMetrics, also on /metrics as flink_jobmanager_job_*) aggregated over all jobs, or
// over those ?jobs= names. Without ?get= it lists the IDs of the metrics
// some job has; with it, each asked-for metric that some job has gets the
// aggregates of ?agg= (all when absent) over the jobs that have it. A
// metric no job has is left out (Flink then answers an empty list).
func (s *Server) aggregatedJobMetrics(w http.ResponseWriter, r *http.Request, _ params) {
	aggs := queryList(r, "agg")
	for i, a := range aggs {
		aggs[i] = strings.ToLower(a)
		if !slices.Contains(aggregations, aggs[i]) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("Bad request: aggregation %q in agg is not one of %s.", a, strings.Join(aggregations, ", ")))
			return
		}
	}
	if len(aggs) == 0 {
		aggs = aggregations
	}
	jobs := s.jobs
	if ids := queryList(r, "jobs"); len(ids) > 0 {
		jobs = nil
		for _, id := range ids {
			lid := strings.ToLower(id)
			if !isHexID(lid) {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("Bad request: job ID %q in jobs is not 32 hexadecimal digits.", id))
				return
			}
			j := s.job(lid)
			if j == nil {
				writeError(w, http.StatusNotFound, fmt.Sprintf("Job %s not found.", lid))
				return
			}
			jobs = append(jobs, j)
		}
	}
	values := map[string][]float64{} // metric name -> its value in each job that has it
	for _, j := range jobs {
		for _, m := range jobMetrics(j, newJobView(j)) {
			values[m.name] = append(values[m.name], finite(m.value))
		}
	}
	out := []api.AggregatedMetric{}
	get := queryList(r, "get")
	if len(get) == 0 {
		for _, name := range slices.Sorted(maps.Keys(values)) {
			out = append(out, api.AggregatedMetric{ID: name})
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	for _, name := range get {
		vs := values[name]
		if len(vs) == 0 {
			continue
		}
		m := api.AggregatedMetric{ID: name}
		for _, a := range aggs {
			f := aggregate(a, vs)
			switch a {
			case "min":
				m.Min = &f
			case "max":
				m.Max = &f
			case "sum":
				m.Sum = &f
			case "avg":
				m.Avg = &f
			case "skew":
				m.Skew = &f
			}
		}
		out = append(out, m)
	}
	writeJSON(w, http.StatusOK, out)
}

// aggregate computes one of aggregations over vs, which is not empty, as
// Flink's DoubleAccumulator does; skew is the mean absolute deviation as a
// percentage of the mean, at most 100, and 0 for a mean of 0.
func aggregate(agg string, vs []float64) float64 {
	sum := 0.0
	for _, v := range vs {
		sum += v
	}
	avg := sum / float64(len(vs))
	switch agg {
	case "min":
		return slices.Min(vs)
	case "max":
		return slices.Max(vs)
	case "sum":
		return sum
	case "avg":
		return avg
	}
	if avg == 0 {
		return 0
	}
	dev := 0.0
	for _, v := range vs {
		dev += math.Abs(avg - v)
	}
	return math.Min(dev/float64(len(vs))/avg*100, 100)
}
