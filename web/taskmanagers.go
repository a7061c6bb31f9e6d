package web

import (
	"net/http"

	"github.com/weirstream/weir/cluster"
	"github.com/weirstream/weir/web/api"
)

// taskManagers lists the task managers: a cluster's registered ones
// (Options.TaskManagers), or the one in this process of the embedded local
// run, whose slots are its jobs' subtasks.
func (s *Server) taskManagers() []api.TaskManager {
	if s.listTaskManagers != nil {
		var out []api.TaskManager
		for _, tm := range s.listTaskManagers() {
			out = append(out, taskManagerJSON(tm))
		}
		return out
	}
	// One slot per subtask of each running job's widest vertex, as Flink's
	// slot sharing would need; the embedded runtime has them all in use.
	slots := 0
	for _, j := range s.jobs {
		if j.State() != cluster.StateRunning {
			continue
		}
		most := 0
		for _, v := range j.Vertices() {
			most = max(most, v.Parallelism)
		}
		slots += most
	}
	return []api.TaskManager{{ID: "embedded", Path: "in-process", SlotsNumber: slots}}
}

func taskManagerJSON(tm cluster.TaskManagerInfo) api.TaskManager {
	return api.TaskManager{
		ID: tm.ID, Path: tm.Path, DataPort: tm.DataPort,
		TimeSinceLastHeartbeat: tm.LastHeartbeat.UnixMilli(),
		SlotsNumber:            tm.Slots, FreeSlots: tm.FreeSlots,
		Hardware: api.Hardware{CPUCores: tm.Hardware.CPUCores, PhysicalMemory: tm.Hardware.PhysicalMemory, FreeMemory: tm.Hardware.FreeMemory},
	}
}

func (s *Server) taskManagerList(w http.ResponseWriter, _ *http.Request, _ params) {
	tms := s.taskManagers()
	if tms == nil {
		tms = []api.TaskManager{}
	}
	writeJSON(w, http.StatusOK, api.TaskManagers{TaskManagers: tms})
}

func (s *Server) taskManagerDetails(w http.ResponseWriter, _ *http.Request, p params) {
	id := p["tmid"]
	for _, tm := range s.taskManagers() {
		if tm.ID == id {
			writeJSON(w, http.StatusOK, tm)
			return
		}
	}
	writeError(w, http.StatusNotFound, "Task manager "+id+" not found: GET /taskmanagers lists the registered ones.")
}

// subtaskPlace is where a subtask runs: its task manager and endpoint.
func subtaskPlace(st cluster.SubtaskStatus) (tm, endpoint string) {
	if st.TaskManager != "" { // a cluster's task manager
		return st.TaskManager, st.Endpoint
	}
	return "embedded", "localhost"
}

// vertexTaskManagers is GET /jobs/:jobid/vertices/:vertexid/taskmanagers,
// after Flink's JobVertexTaskManagersInfo: the vertex's subtasks grouped by
// the task manager running them, with their summed figures.
func (s *Server) vertexTaskManagers(w http.ResponseWriter, _ *http.Request, p params) {
	v, i, ok := s.lookupVertex(w, p)
	if !ok {
		return
	}
	vs := v.vertices[i]
	out := api.VertexTaskManagers{ID: v.vids[i], Name: vs.Name, Now: v.now.UnixMilli(), TaskManagers: []api.VertexTaskManager{}}
	at := map[string]int{}
	for _, st := range vs.Subtasks {
		tm, endpoint := subtaskPlace(st)
		k, ok := at[tm]
		if !ok {
			k = len(out.TaskManagers)
			at[tm] = k
			out.TaskManagers = append(out.TaskManagers, api.VertexTaskManager{
				Endpoint: endpoint, TaskManagerID: tm, Status: v.taskState(),
				StartTime: epochMs(v.start), EndTime: epochMs(v.end), Duration: v.duration(),
				Metrics:      api.IOMetrics{ReadRecordsComplete: true, WriteRecordsComplete: true},
				StatusCounts: map[string]int{},
			})
		}
		e := &out.TaskManagers[k]
		m := subtaskMetrics(st)
		e.Metrics.ReadRecords += m.ReadRecords
		e.Metrics.WriteRecords += m.WriteRecords
		e.Metrics.RecordsInPerSecond += m.RecordsInPerSecond
		e.Metrics.RecordsOutPerSecond += m.RecordsOutPerSecond
		e.StatusCounts[v.taskState()]++
		e.Subtasks = append(e.Subtasks, st.Subtask)
	}
	writeJSON(w, http.StatusOK, out)
}
