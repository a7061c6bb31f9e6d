package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/weirstream/weir/web/api"
)

// ---- /jobs/:jobid/vertices/:vertexid/watermarks ----

// watermarks answers each subtask's current input watermark as Flink's
// JobVertexWatermarksHandler: [{"id": "0.currentInputWatermark", "value":
// "1700000000000"}], the value in milliseconds as text;
// -9223372036854775808 (Long.MIN_VALUE) before the first watermark and for
// a source.
func (s *Server) watermarks(w http.ResponseWriter, _ *http.Request, p params) {
	v, i, ok := s.lookupVertex(w, p)
	if !ok {
		return
	}
	out := []api.Metric{}
	for _, st := range v.vertices[i].Subtasks {
		val := strconv.FormatInt(st.CurrentInputWatermark, 10)
		out = append(out, api.Metric{ID: fmt.Sprintf("%d.currentInputWatermark", st.Subtask), Value: &val})
	}
	writeJSON(w, http.StatusOK, out)
}

// ---- /jobs/:jobid/vertices/:vertexid/subtasktimes ----

// subtaskTimes answers when each subtask entered each execution state.
// The embedded runtime deploys every subtask at once when the job starts,
// so the states up to RUNNING carry the job's start time and the final
// state its end time.
func (s *Server) subtaskTimes(w http.ResponseWriter, _ *http.Request, p params) {
	v, i, ok := s.lookupVertex(w, p)
	if !ok {
		return
	}
	vs := v.vertices[i]
	out := api.SubtasksTimes{ID: v.vids[i], Name: vs.Name, Now: v.now.UnixMilli(), Subtasks: []api.SubtaskTime{}}
	state := v.taskState()
	for _, st := range vs.Subtasks {
		ts := map[string]int64{}
		for _, s := range taskStates {
			ts[s] = 0
		}
		if !v.start.IsZero() {
			for _, s := range []string{"CREATED", "SCHEDULED", "DEPLOYING", "INITIALIZING", "RUNNING"} {
				ts[s] = v.start.UnixMilli()
			}
		}
		if !v.end.IsZero() && ended(state) {
			ts[state] = v.end.UnixMilli()
		}
		out.Subtasks = append(out.Subtasks, api.SubtaskTime{
			Subtask: st.Subtask, Host: "localhost", Endpoint: "localhost", Duration: v.duration(), Timestamps: ts,
		})
	}
	writeJSON(w, http.StatusOK, out)
}
