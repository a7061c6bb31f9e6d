package web

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/weirstream/weir/cluster"
	"github.com/weirstream/weir/web/api"
)

// Flink's JobStatus and ExecutionState names, for the maps keyed by state.
var (
	jobStates  = []string{"INITIALIZING", "CREATED", "RUNNING", "FAILING", "FAILED", "CANCELLING", "CANCELED", "FINISHED", "RESTARTING", "SUSPENDED", "RECONCILING"}
	taskStates = []string{"CREATED", "SCHEDULED", "DEPLOYING", "RUNNING", "FINISHED", "CANCELING", "CANCELED", "FAILED", "RECONCILING", "INITIALIZING"}
)

// jobView is one consistent reading of a job for one answer.
type jobView struct {
	job        Job
	id, name   string
	state      string
	start, end time.Time
	now        time.Time
	vertices   []cluster.VertexStatus
	vids       []string // REST IDs, indexed like vertices
}

func newJobView(j Job) *jobView {
	v := &jobView{job: j, id: j.ID(), name: j.Name(), state: j.State(), now: time.Now()}
	v.start, v.end = j.Times()
	v.vertices = j.Vertices()
	v.vids = vertexIDs(v.vertices)
	return v
}

// duration is how long the job ran, or has run so far; -1 before it started.
func (v *jobView) duration() int64 {
	if v.start.IsZero() {
		return -1
	}
	end := v.end
	if end.IsZero() {
		end = v.now
	}
	return end.Sub(v.start).Milliseconds()
}

// taskState is the state of the job's tasks, by Flink's ExecutionState: the
// job's state for a running or ended job, CREATED before it runs and while
// it restarts.
func (v *jobView) taskState() string {
	switch v.state {
	case cluster.StateRunning, cluster.StateFinished, cluster.StateCanceled, cluster.StateFailed:
		return v.state
	}
	return "CREATED"
}

// vid is the REST ID of vertex index i.
func (v *jobView) vid(i int) string {
	if i >= 0 && i < len(v.vids) {
		return v.vids[i]
	}
	return fmt.Sprintf("%032x", i)
}

// vertex finds a vertex by REST ID.
func (v *jobView) vertex(vid string) (int, bool) {
	for i, id := range v.vids {
		if id == vid {
			return i, true
		}
	}
	return 0, false
}

// epochMs is t in milliseconds since the epoch, -1 for the zero time.
func epochMs(t time.Time) int64 {
	if t.IsZero() {
		return -1
	}
	return t.UnixMilli()
}

// finite keeps NaN and infinities out of the JSON (encoding/json refuses
// them) and the metrics.
func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

func isHexID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// lookupJob finds the job p names; it answers 400 or 404 itself and returns
// nil when there is none.
func (s *Server) lookupJob(w http.ResponseWriter, p params) *jobView {
	id := strings.ToLower(p["jobid"])
	if !isHexID(id) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("Bad request: job ID %q is not 32 hexadecimal digits.", p["jobid"]))
		return nil
	}
	j := s.job(id)
	if j == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Job %s not found.", id))
		return nil
	}
	return newJobView(j)
}

// lookupVertex finds the job and, in it, the vertex p names; it answers
// 400 or 404 itself and returns false when there is none.
func (s *Server) lookupVertex(w http.ResponseWriter, p params) (*jobView, int, bool) {
	v := s.lookupJob(w, p)
	if v == nil {
		return nil, 0, false
	}
	i, ok := vertexOf(w, v, p)
	return v, i, ok
}

// vertexOf finds the vertex p names in v; it answers 400 or 404 itself
// and returns false when there is none.
func vertexOf(w http.ResponseWriter, v *jobView, p params) (int, bool) {
	vid := strings.ToLower(p["vertexid"])
	if !isHexID(vid) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("Bad request: vertex ID %q is not 32 hexadecimal digits.", p["vertexid"]))
		return 0, false
	}
	i, ok := v.vertex(vid)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Vertex %s not found in job %s.", vid, v.id))
	}
	return i, ok
}

// ---- /overview and /config ----

func (s *Server) overview(w http.ResponseWriter, _ *http.Request, _ params) {
	rev := revision()
	o := api.Overview{WeirVersion: s.version, WeirCommit: rev, FlinkVersion: api.FlinkVersion, FlinkCommit: rev}
	for _, tm := range s.taskManagers() {
		o.TaskManagers++
		o.SlotsTotal += tm.SlotsNumber
		o.SlotsAvailable += tm.FreeSlots
	}
	for _, j := range s.jobs {
		countJob(&o, j.State())
	}
	writeJSON(w, http.StatusOK, o)
}

// countJob counts a job of the given state in o's jobs-* fields: every
// state but FINISHED, CANCELED and FAILED counts as running.
func countJob(o *api.Overview, state string) {
	switch state {
	case cluster.StateFinished:
		o.JobsFinished++
	case cluster.StateCanceled:
		o.JobsCancelled++
	case cluster.StateFailed:
		o.JobsFailed++
	default:
		o.JobsRunning++
	}
}

func (s *Server) dashboardConfig(w http.ResponseWriter, _ *http.Request, _ params) {
	name, offset := time.Now().Zone()
	writeJSON(w, http.StatusOK, api.DashboardConfig{
		RefreshInterval: 3000,
		TimezoneName:    name,
		TimezoneOffset:  int64(offset) * 1000,
		WeirVersion:     s.version,
		WeirRevision:    revision(),
		FlinkVersion:    api.FlinkVersion,
		FlinkRevision:   revision(),
		Features: map[string]any{
			"web-submit":  false, // no job upload endpoint
			"web-cancel":  s.cancelEnabled,
			"web-rescale": false,
			"web-history": false,
		},
	})
}

// revision is the VCS revision the binary was built from, "" when the
// build did not record one (go test, go run).
var revision = sync.OnceValue(func() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return ""
})

// ---- /jobs, /jobs/overview ----

func (s *Server) jobList(w http.ResponseWriter, _ *http.Request, _ params) {
	out := api.JobList{Jobs: []api.JobID{}}
	for _, j := range s.jobs {
		out.Jobs = append(out.Jobs, api.JobID{ID: j.ID(), Status: j.State()})
	}
	writeJSON(w, http.StatusOK, out)
}

// taskCounts counts the job's subtasks by state, with Flink's keys
// (lowercase in /jobs/overview, uppercase elsewhere).
func (v *jobView) taskCounts(lower bool) map[string]int {
	m := map[string]int{}
	n := 0
	for _, vs := range v.vertices {
		n += len(vs.Subtasks)
	}
	state := v.taskState()
	for _, st := range taskStates {
		c := 0
		if st == state {
			c = n
		}
		if lower {
			st = strings.ToLower(st)
		}
		m[st] = c
	}
	if lower {
		m["total"] = n
	}
	return m
}

func (s *Server) jobsOverview(w http.ResponseWriter, _ *http.Request, _ params) {
	out := api.JobsOverview{Jobs: []api.JobOverview{}}
	for _, j := range s.jobs {
		v := newJobView(j)
		lastMod := max(epochMs(v.start), epochMs(v.end))
		out.Jobs = append(out.Jobs, api.JobOverview{
			JID: v.id, Name: v.name, State: v.state,
			StartTime: epochMs(v.start), EndTime: epochMs(v.end), Duration: v.duration(),
			LastModification: lastMod, Tasks: v.taskCounts(true),
		})
	}
	writeJSON(w, http.StatusOK, out)
}

// ---- /jobs/:jobid ----

func subtaskMetrics(st cluster.SubtaskStatus) api.IOMetrics {
	return api.IOMetrics{
		ReadRecords: st.RecordsIn, ReadRecordsComplete: true,
		WriteRecords: st.RecordsOut, WriteRecordsComplete: true,
		RecordsInPerSecond:           finite(st.RecordsInPerSecond),
		RecordsOutPerSecond:          finite(st.RecordsOutPerSecond),
		BusyTimeMsPerSecond:          finite(st.BusyTimeMsPerSecond),
		BackPressuredTimeMsPerSecond: finite(st.BackPressuredTimeMsPerSecond),
		IdleTimeMsPerSecond:          finite(st.IdleTimeMsPerSecond),
		OutPoolUsage:                 finite(st.OutPoolUsage),
	}
}

// vertexMetrics aggregates a vertex's subtasks: counts and rates of records
// are summed; busy, backpressured and idle time and the output pool usage
// are those of the subtask where each is highest, as Flink's job graph
// shows "Busy (max)" and "Backpressured (max)".
func vertexMetrics(vs cluster.VertexStatus) api.IOMetrics {
	m := api.IOMetrics{ReadRecordsComplete: true, WriteRecordsComplete: true}
	for _, st := range vs.Subtasks {
		s := subtaskMetrics(st)
		m.ReadRecords += s.ReadRecords
		m.WriteRecords += s.WriteRecords
		m.RecordsInPerSecond += s.RecordsInPerSecond
		m.RecordsOutPerSecond += s.RecordsOutPerSecond
		m.BusyTimeMsPerSecond = max(m.BusyTimeMsPerSecond, s.BusyTimeMsPerSecond)
		m.BackPressuredTimeMsPerSecond = max(m.BackPressuredTimeMsPerSecond, s.BackPressuredTimeMsPerSecond)
		m.IdleTimeMsPerSecond = max(m.IdleTimeMsPerSecond, s.IdleTimeMsPerSecond)
		m.OutPoolUsage = max(m.OutPoolUsage, s.OutPoolUsage)
	}
	return m
}

func (v *jobView) plan() api.Plan {
	p := api.Plan{JID: v.id, Name: v.name, Type: "STREAMING", Nodes: []api.PlanNode{}}
	for i, vs := range v.vertices {
		n := api.PlanNode{ID: v.vids[i], Parallelism: vs.Parallelism, Description: vs.Name, Operators: []api.Operator{}}
		for k, in := range vs.Inputs {
			n.Inputs = append(n.Inputs, api.PlanInput{Num: k, ID: v.vid(in.FromVertex), ShipStrategy: in.Partitioning, Exchange: "pipelined_bounded"})
		}
		for _, op := range vs.Operators {
			n.Operators = append(n.Operators, api.Operator(op))
		}
		p.Nodes = append(p.Nodes, n)
	}
	return p
}

func (s *Server) jobDetails(w http.ResponseWriter, _ *http.Request, p params) {
	v := s.lookupJob(w, p)
	if v == nil {
		return
	}
	d := api.JobDetails{
		JID: v.id, Name: v.name, State: v.state, JobType: "STREAMING",
		StartTime: epochMs(v.start), EndTime: epochMs(v.end), Duration: v.duration(),
		MaxParallelism: configOf(v.job).MaxParallelism, Now: v.now.UnixMilli(),
		Timestamps: map[string]int64{}, Vertices: []api.JobVertex{}, StatusCounts: map[string]int{},
		Plan: v.plan(), Restarts: v.job.Restarts(),
	}
	for _, st := range jobStates {
		d.Timestamps[st] = 0
	}
	if !v.start.IsZero() {
		for _, st := range []string{"INITIALIZING", "CREATED", "RUNNING"} {
			d.Timestamps[st] = v.start.UnixMilli()
		}
	}
	if !v.end.IsZero() {
		d.Timestamps[v.state] = v.end.UnixMilli()
	}
	state := v.taskState()
	for _, st := range taskStates {
		d.StatusCounts[st] = 0
	}
	for i, vs := range v.vertices {
		tasks := map[string]int{}
		for _, st := range taskStates {
			tasks[st] = 0
		}
		tasks[state] = len(vs.Subtasks)
		d.StatusCounts[state]++
		d.Vertices = append(d.Vertices, api.JobVertex{
			ID: v.vids[i], Name: vs.Name, MaxParallelism: d.MaxParallelism, Parallelism: vs.Parallelism, Status: state,
			StartTime: epochMs(v.start), EndTime: epochMs(v.end), Duration: v.duration(),
			Tasks: tasks, Metrics: vertexMetrics(vs),
		})
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) jobPlan(w http.ResponseWriter, _ *http.Request, p params) {
	if v := s.lookupJob(w, p); v != nil {
		writeJSON(w, http.StatusOK, api.JobPlan{Plan: v.plan()})
	}
}

// cancel is PATCH /jobs/:jobid?mode=cancel.
func (s *Server) cancel(w http.ResponseWriter, r *http.Request, p params) {
	if mode := r.URL.Query().Get("mode"); mode != "" && mode != "cancel" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("Bad request: mode %q is not supported; the only mode is cancel.", mode))
		return
	}
	if !s.cancelEnabled {
		writeError(w, http.StatusForbidden, "Cancelling jobs through the REST API is disabled (web.cancel.enable: false).")
		return
	}
	if !trustedHost(r.Host) {
		writeError(w, http.StatusForbidden, fmt.Sprintf("Cancel refused: Host %q is neither an IP address nor localhost.", r.Host))
		return
	}
	v := s.lookupJob(w, p)
	if v == nil {
		return
	}
	if err := v.job.Cancel(); err != nil {
		if errors.Is(err, cluster.ErrNotRunning) {
			writeError(w, http.StatusConflict, fmt.Sprintf("Job %s cannot be cancelled: %v.", v.id, err))
			return
		}
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("Cancelling job %s: %v.", v.id, err))
		return
	}
	s.logger.Info("job cancel requested through the REST API", "job", v.name, "jid", v.id, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusAccepted, struct{}{})
}

// trustedHost accepts the Host of a request that may change something: an
// IP address or localhost. A page that rebinds its own DNS name to this
// machine's address sends its own name, and is refused.
func trustedHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return net.ParseIP(host) != nil || strings.EqualFold(host, "localhost")
}

// ---- /jobs/:jobid/vertices/:vertexid ----

func (s *Server) vertexDetails(w http.ResponseWriter, _ *http.Request, p params) {
	v, i, ok := s.lookupVertex(w, p)
	if !ok {
		return
	}
	vs := v.vertices[i]
	d := api.VertexDetails{
		ID: v.vids[i], Name: vs.Name, MaxParallelism: configOf(v.job).MaxParallelism, Parallelism: vs.Parallelism, Now: v.now.UnixMilli(),
		Subtasks: []api.SubtaskDetails{}, Operators: []api.Operator{},
	}
	attempt := v.job.Restarts()
	for _, st := range vs.Subtasks {
		tm, endpoint := subtaskPlace(st)
		d.Subtasks = append(d.Subtasks, api.SubtaskDetails{
			Subtask: st.Subtask, Status: v.taskState(), Attempt: attempt, Endpoint: endpoint,
			StartTime: epochMs(v.start), EndTime: epochMs(v.end), Duration: v.duration(),
			Metrics: subtaskMetrics(st), TaskManagerID: tm,
		})
	}
	for _, op := range vs.Operators {
		d.Operators = append(d.Operators, api.Operator(op))
	}
	writeJSON(w, http.StatusOK, d)
}

// ---- /jobs/:jobid/vertices/:vertexid/backpressure ----

// BackpressureLevel is Flink's level for a share of time backpressured:
// "ok" up to 10%, "low" up to 50%, "high" above.
func BackpressureLevel(ratio float64) string {
	switch {
	case ratio <= 0.10:
		return "ok"
	case ratio <= 0.50:
		return "low"
	}
	return "high"
}

func ratio(msPerSecond float64) float64 { return min(max(finite(msPerSecond)/1000, 0), 1) }

func (s *Server) backpressure(w http.ResponseWriter, _ *http.Request, p params) {
	v, i, ok := s.lookupVertex(w, p)
	if !ok {
		return
	}
	b := api.Backpressure{Status: "ok", EndTimestamp: v.now.UnixMilli(), Subtasks: []api.SubtaskBackpressure{}}
	worst := 0.0
	attempt := v.job.Restarts()
	for _, st := range v.vertices[i].Subtasks {
		r := ratio(st.BackPressuredTimeMsPerSecond)
		worst = max(worst, r)
		b.Subtasks = append(b.Subtasks, api.SubtaskBackpressure{
			Subtask: st.Subtask, AttemptNumber: attempt, BackpressureLevel: BackpressureLevel(r),
			Ratio: r, IdleRatio: ratio(st.IdleTimeMsPerSecond), BusyRatio: ratio(st.BusyTimeMsPerSecond),
		})
	}
	b.BackpressureLevel = BackpressureLevel(worst)
	writeJSON(w, http.StatusOK, b)
}

// ---- /jobs/:jobid/exceptions ----

// maxExceptions is how many failures cluster.JobInfo keeps.
const maxExceptions = 100

func (s *Server) exceptions(w http.ResponseWriter, _ *http.Request, p params) {
	v := s.lookupJob(w, p)
	if v == nil {
		return
	}
	exs := v.job.Exceptions() // newest first
	out := api.JobExceptions{
		AllExceptions:    []api.TaskException{},
		ExceptionHistory: api.ExceptionHistory{Entries: []api.ExceptionEntry{}, Truncated: len(exs) >= maxExceptions},
	}
	if len(exs) > 0 {
		root := exs[0]
		out.RootException = &root.Message
		ts := root.Time.UnixMilli()
		out.Timestamp = &ts
	}
	for _, e := range exs {
		name, _, _ := strings.Cut(e.Message, "\n")
		entry := api.ExceptionEntry{
			ExceptionName: name, Stacktrace: e.Message, Timestamp: e.Time.UnixMilli(),
			FailureLabels: map[string]string{}, ConcurrentExceptions: []api.ExceptionEntry{},
			Attempt: e.Attempt, Final: e.Final, Causes: e.Causes,
		}
		if len(entry.Causes) == 0 {
			entry.Causes = []string{e.Message}
		}
		if e.Task != "" {
			task, endpoint, tm := e.Task, "localhost", "embedded"
			entry.TaskName, entry.Endpoint, entry.TaskManagerID = &task, &endpoint, &tm
			out.AllExceptions = append(out.AllExceptions, api.TaskException{
				Exception: e.Message, Task: e.Task, Location: endpoint, Timestamp: e.Time.UnixMilli(), TaskManagerID: tm,
			})
		}
		out.ExceptionHistory.Entries = append(out.ExceptionHistory.Entries, entry)
	}
	writeJSON(w, http.StatusOK, out)
}
