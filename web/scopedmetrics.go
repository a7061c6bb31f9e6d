package web

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"

	"github.com/weirstream/weir/web/api"
)

// metricValues answers a metric collection as Flink's
// AbstractMetricsHandler: without ?get= the IDs of every metric, sorted;
// with ?get=A,B each asked-for metric that exists with its value as text,
// in the order asked (one that does not exist is left out).
func metricValues(w http.ResponseWriter, r *http.Request, values map[string]string) {
	out := []api.Metric{}
	get := queryList(r, "get")
	if len(get) == 0 {
		for _, id := range slices.Sorted(maps.Keys(values)) {
			out = append(out, api.Metric{ID: id})
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	for _, id := range get {
		if val, ok := values[id]; ok {
			out = append(out, api.Metric{ID: id, Value: &val})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// ---- /jobs/:jobid/metrics ----

// jobScopeMetrics is Flink's JobMetricsHandler: the job's own metrics, the
// same as /jobs/metrics aggregates and /metrics serves as flink_jobmanager_job_*.
func (s *Server) jobScopeMetrics(w http.ResponseWriter, r *http.Request, p params) {
	v := s.lookupJob(w, p)
	if v == nil {
		return
	}
	values := map[string]string{}
	for _, m := range jobMetrics(v.job, v) {
		values[m.name] = number(m.value)
	}
	metricValues(w, r, values)
}

// ---- /jobs/:jobid/vertices/:vertexid/metrics ----

// vertexScopeMetrics is Flink's JobVertexMetricsHandler: each subtask's
// task metrics as "<subtask>.<name>", with Flink's task metric names (those
// /metrics serves as flink_taskmanager_job_task_*), its current input
// watermark, and, for a vertex with network outputs, its current output
// watermark; and the operators' own metrics (numLateRecordsDropped,
// pendingRecords, pendingBytes) as "<subtask>.<operator name>.<name>",
// where an operator has them.
func (s *Server) vertexScopeMetrics(w http.ResponseWriter, r *http.Request, p params) {
	v, i, ok := s.lookupVertex(w, p)
	if !ok {
		return
	}
	values := map[string]string{}
	outputs := feeding(v.vertices)[v.vertices[i].ID]
	for _, st := range v.vertices[i].Subtasks {
		values[fmt.Sprintf("%d.currentInputWatermark", st.Subtask)] = strconv.FormatInt(st.CurrentInputWatermark, 10)
		if outputs {
			values[fmt.Sprintf("%d.currentOutputWatermark", st.Subtask)] = strconv.FormatInt(st.CurrentOutputWatermark, 10)
		}
		for _, m := range taskMetrics {
			if m.inputs || m.outputs {
				continue // the watermarks, above: in full, as integers
			}
			values[fmt.Sprintf("%d.%s", st.Subtask, m.name)] = number(m.value(st))
		}
		// Operator metrics as Flink's MetricStore keys them in a task's
		// store: subtask index, operator name and metric name.
		for k, op := range v.vertices[i].Operators {
			if k >= len(st.Operators) {
				break
			}
			for _, m := range ownMetrics {
				if f := m.value(st.Operators[k]); f >= 0 {
					values[fmt.Sprintf("%d.%s.%s", st.Subtask, op.Name, m.name)] = strconv.FormatInt(f, 10)
				}
			}
		}
	}
	metricValues(w, r, values)
}

// number is a metric's value as text, as Flink writes it.
func number(f float64) string { return strconv.FormatFloat(finite(f), 'f', -1, 64) }
