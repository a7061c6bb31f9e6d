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
	return []api.TaskManager{{ID: "local", Path: "in-process", SlotsNumber: slots}}
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
