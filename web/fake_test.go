package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/diagnosis"
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/web"
)

// fakeJob is a web.Job with figures fixed by the test.
type fakeJob struct {
	id, name, state string
	start, end      time.Time
	vertices        []graph.VertexStatus
	stats           *checkpoint.Stats
	cfg             weir.CheckpointConfig
	exceptions      []weir.Exception

	mu       sync.Mutex
	canceled int
}

func (f *fakeJob) ID() string                                { return f.id }
func (f *fakeJob) Name() string                              { return f.name }
func (f *fakeJob) State() string                             { return f.state }
func (f *fakeJob) Times() (time.Time, time.Time)             { return f.start, f.end }
func (f *fakeJob) Restarts() int                             { return 2 }
func (f *fakeJob) Exceptions() []weir.Exception              { return f.exceptions }
func (f *fakeJob) Vertices() []graph.VertexStatus            { return f.vertices }
func (f *fakeJob) CheckpointConfig() weir.CheckpointConfig   { return f.cfg }
func (f *fakeJob) CheckpointStats() (checkpoint.Stats, bool) { return derefStats(f.stats) }

func derefStats(s *checkpoint.Stats) (checkpoint.Stats, bool) {
	if s == nil {
		return checkpoint.Stats{}, false
	}
	return *s, true
}

func (f *fakeJob) Cancel() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.state != weir.StateRunning {
		return fmt.Errorf("%w (%s)", weir.ErrNotRunning, f.state)
	}
	f.canceled++
	return nil
}

var t0 = time.UnixMilli(1_700_000_000_000)

// fixture is a running job of two vertices, source (2 subtasks) and sink
// (1), with one completed and one expired checkpoint.
func fixture() *fakeJob {
	src := graph.VertexStatus{ID: 0, Name: "Source: S", Parallelism: 2, Operators: []graph.OperatorInfo{{Name: "S", UID: "s"}},
		Subtasks: []graph.SubtaskStatus{
			{Subtask: 0, RecordsOut: 100, BackPressuredTimeMsPerSecond: 100, BusyTimeMsPerSecond: 900},
			{Subtask: 1, RecordsOut: 50, BackPressuredTimeMsPerSecond: 100.5, IdleTimeMsPerSecond: 899.5},
		}}
	sink := graph.VertexStatus{ID: 1, Name: "Sink", Parallelism: 1, Operators: []graph.OperatorInfo{{Name: "Sink", UID: "k"}},
		Inputs:   []graph.VertexInputInfo{{FromVertex: 0, Partitioning: "REBALANCE"}},
		Subtasks: []graph.SubtaskStatus{{Subtask: 0, RecordsIn: 150, BackPressuredTimeMsPerSecond: 600, OutPoolUsage: 0.25}}}
	ms := time.Millisecond
	done := checkpoint.CheckpointStats{
		ID: 4, Status: checkpoint.StatusCompleted, TriggerTime: t0, LatestAck: t0.Add(30 * ms), EndTime: t0.Add(31 * ms),
		EndToEnd: 30 * ms, NumSubtasks: 3, NumAcknowledged: 3, StateSize: 600, CheckpointedSize: 60, ExternalPath: "file:///c/chk-4",
		Subtasks: []checkpoint.SubtaskStats{
			{Task: checkpoint.SubtaskKey{Vertex: 0, Subtask: 0}, Acknowledged: true, AckTime: t0.Add(10 * ms), EndToEnd: 10 * ms,
				Metrics: checkpoint.SubtaskMetrics{StateSize: 100, CheckpointedSize: 10, SyncDuration: 1 * ms, AsyncDuration: 2 * ms}},
			{Task: checkpoint.SubtaskKey{Vertex: 0, Subtask: 1}, Acknowledged: true, AckTime: t0.Add(20 * ms), EndToEnd: 20 * ms,
				Metrics: checkpoint.SubtaskMetrics{StateSize: 200, CheckpointedSize: 20, SyncDuration: 3 * ms, AsyncDuration: 4 * ms}},
			{Task: checkpoint.SubtaskKey{Vertex: 1, Subtask: 0}, Acknowledged: true, AckTime: t0.Add(30 * ms), EndToEnd: 30 * ms,
				Metrics: checkpoint.SubtaskMetrics{StateSize: 300, CheckpointedSize: 30, StartDelay: 25 * ms, Alignment: 5 * ms, AlignmentBuffered: 7, ProcessedData: 9}},
		},
	}
	expired := checkpoint.CheckpointStats{
		ID: 5, Status: checkpoint.StatusFailed, TriggerTime: t0.Add(time.Second), LatestAck: t0.Add(time.Second + 5*ms),
		EndTime: t0.Add(11 * time.Second), EndToEnd: 10 * time.Second, NumSubtasks: 3, NumAcknowledged: 2,
		Failure: errors.New("checkpoint expired before completing"),
		Subtasks: []checkpoint.SubtaskStats{
			{Task: checkpoint.SubtaskKey{Vertex: 0, Subtask: 0}, Acknowledged: true, AckTime: t0.Add(time.Second + 5*ms), EndToEnd: 5 * ms},
			{Task: checkpoint.SubtaskKey{Vertex: 0, Subtask: 1}, Acknowledged: true, AckTime: t0.Add(time.Second + 5*ms), EndToEnd: 5 * ms},
			{Task: checkpoint.SubtaskKey{Vertex: 1, Subtask: 0}},
		},
	}
	st := &checkpoint.Stats{
		Triggered: 5, Completed: 4, Failed: 1, LatestCompleted: &done, LatestFailed: &expired,
		Summary: checkpoint.Summary{Count: 4, EndToEnd: checkpoint.DurationSummary{Min: 10 * ms, Max: 30 * ms, Avg: 20 * ms},
			StateSize: checkpoint.SizeSummary{Min: 500, Max: 600, Avg: 550}},
		History: []checkpoint.CheckpointStats{expired, done},
	}
	return &fakeJob{
		id: "00112233445566778899aabbccddeeff", name: "fake", state: weir.StateRunning, start: t0,
		vertices: []graph.VertexStatus{src, sink}, stats: st,
		cfg: weir.CheckpointConfig{Enabled: true, Interval: time.Second, Timeout: 10 * time.Second, Mode: "EXACTLY_ONCE",
			Retention: "DELETE_ON_CANCELLATION", MaxConcurrent: 1, StateBackend: "hashmap"},
	}
}

func fakeServer(t *testing.T, jobs ...web.Job) *client {
	ts := httptest.NewServer(web.NewServer(web.Options{}, jobs...).Handler())
	t.Cleanup(ts.Close)
	return newClient(t, ts.URL)
}

func TestBackpressureLevels(t *testing.T) {
	for _, tc := range []struct {
		ratio float64
		want  string
	}{{0, "ok"}, {0.1, "ok"}, {0.1001, "low"}, {0.5, "low"}, {0.5001, "high"}, {1, "high"}} {
		if got := web.BackpressureLevel(tc.ratio); got != tc.want {
			t.Errorf("BackpressureLevel(%v) = %s, want %s", tc.ratio, got, tc.want)
		}
	}
	f := fixture()
	c := fakeServer(t, f)
	d := c.get("/jobs/" + f.id + "/vertices/" + web.VertexID("s") + "/backpressure")
	subs := arr(t, d["subtasks"])
	// 100 ms/s is 10%: ok; 100.5 ms/s is above: low; the vertex takes the worst.
	if obj(t, subs[0])["backpressure-level"] != "ok" || obj(t, subs[1])["backpressure-level"] != "low" || d["backpressure-level"] != "low" {
		t.Fatalf("backpressure %v", d)
	}
	if s := obj(t, subs[0]); num(t, s["ratio"]) != 0.1 || num(t, s["busyRatio"]) != 0.9 || num(t, s["idleRatio"]) != 0 || num(t, s["attempt-number"]) != 2 {
		t.Fatalf("subtask 0 %v", s)
	}
	if d := c.get("/jobs/" + f.id + "/vertices/" + web.VertexID("k") + "/backpressure"); d["backpressure-level"] != "high" {
		t.Fatalf("sink %v", d)
	}
}

func TestVertexAggregates(t *testing.T) {
	f := fixture()
	c := fakeServer(t, f)
	vs := arr(t, c.get("/jobs/" + f.id)["vertices"])
	m := obj(t, obj(t, vs[0])["metrics"])
	if num(t, m["write-records"]) != 150 || num(t, m["backPressuredTimeMsPerSecond"]) != 100.5 || num(t, m["busyTimeMsPerSecond"]) != 900 {
		t.Fatalf("source metrics %v", m)
	}
	if m := obj(t, obj(t, vs[1])["metrics"]); num(t, m["read-records"]) != 150 || num(t, m["outPoolUsage"]) != 0.25 {
		t.Fatalf("sink metrics %v", m)
	}
	node := obj(t, arr(t, obj(t, c.get("/jobs/" + f.id)["plan"])["nodes"])[1])
	in := obj(t, arr(t, node["inputs"])[0])
	if in["id"] != web.VertexID("s") || in["ship_strategy"] != "REBALANCE" {
		t.Fatalf("plan node %v", node)
	}
}

func TestCheckpointFigures(t *testing.T) {
	f := fixture()
	c := fakeServer(t, f)
	base := "/jobs/" + f.id + "/checkpoints"
	d := c.get(base)
	if e2e := obj(t, obj(t, d["summary"])["end_to_end_duration"]); num(t, e2e["min"]) != 10 || num(t, e2e["avg"]) != 20 || num(t, e2e["max"]) != 30 {
		t.Fatalf("summary %v", d["summary"])
	}
	failed := obj(t, obj(t, d["latest"])["failed"])
	if failed["className"] != "failed" || failed["failure_message"] != "checkpoint expired before completing" ||
		num(t, failed["failure_timestamp"]) != float64(t0.Add(11*time.Second).UnixMilli()) {
		t.Fatalf("latest failed %v", failed)
	}
	if obj(t, d["latest"])["savepoint"] != nil || obj(t, d["latest"])["restored"] != nil {
		t.Fatalf("latest %v", d["latest"])
	}
	if h := arr(t, d["history"]); len(h) != 2 || num(t, obj(t, h[0])["id"]) != 5 || len(obj(t, obj(t, h[1])["tasks"])) != 0 {
		t.Fatalf("history %v", h)
	}

	cp := c.get(base + "/details/4")
	task := obj(t, obj(t, cp["tasks"])[web.VertexID("s")])
	if num(t, task["state_size"]) != 300 || num(t, task["end_to_end_duration"]) != 20 || num(t, task["latest_ack_timestamp"]) != float64(t0.Add(20*time.Millisecond).UnixMilli()) {
		t.Fatalf("task %v", task)
	}
	if cp["external_path"] != "file:///c/chk-4" || cp["discarded"] != false {
		t.Fatalf("details %v", cp)
	}
	sd := c.get(base + "/details/4/subtasks/" + web.VertexID("s"))
	sum := obj(t, sd["summary"])
	if s := obj(t, sum["state_size"]); num(t, s["min"]) != 100 || num(t, s["max"]) != 200 || num(t, s["avg"]) != 150 {
		t.Fatalf("summary %v", sum)
	}
	if a := obj(t, obj(t, sum["checkpoint_duration"])["async"]); num(t, a["max"]) != 4 {
		t.Fatalf("summary %v", sum)
	}
	s1 := obj(t, arr(t, sd["subtasks"])[1])
	if num(t, s1["index"]) != 1 || num(t, obj(t, s1["checkpoint"])["sync"]) != 3 || num(t, s1["end_to_end_duration"]) != 20 {
		t.Fatalf("subtask %v", s1)
	}
	sink := obj(t, arr(t, c.get(base + "/details/4/subtasks/" + web.VertexID("k"))["subtasks"])[0])
	if num(t, sink["start_delay"]) != 25 || num(t, obj(t, sink["alignment"])["duration"]) != 5 || num(t, obj(t, sink["alignment"])["buffered"]) != 7 {
		t.Fatalf("sink subtask %v", sink)
	}
	// The expired checkpoint: the sink never acknowledged.
	pending := obj(t, arr(t, c.get(base + "/details/5/subtasks/" + web.VertexID("k"))["subtasks"])[0])
	if pending["status"] != "pending_or_failed" || pending["ack_timestamp"] != nil {
		t.Fatalf("pending subtask %v", pending)
	}
	cfg := c.get(base + "/config")
	if cfg["mode"] != "exactly_once" || num(t, cfg["timeout"]) != 10000 || obj(t, cfg["externalization"])["delete_on_cancellation"] != true ||
		cfg["checkpoint_storage"] != "JobManagerCheckpointStorage" {
		t.Fatalf("config %v", cfg)
	}
}

// TestDiagnosisIsServed checks the wiring: what diagnosis.Explain finds on
// a checkpoint is on its details, in the history and in the list.
func TestDiagnosisIsServed(t *testing.T) {
	f := fixture()
	c := fakeServer(t, f)
	base := "/jobs/" + f.id + "/checkpoints"
	list := arr(t, c.get(base + "/diagnosis")["entries"])
	if len(list) == 0 {
		t.Fatal("the expired checkpoint is not explained")
	}
	for _, cs := range f.stats.History {
		finding, ok := diagnosis.Explain(diagnosis.Input{Checkpoint: cs, Interval: f.cfg.Interval, Timeout: f.cfg.Timeout, Vertices: f.vertices})
		d := c.get(fmt.Sprintf("%s/details/%d", base, cs.ID))
		if !ok {
			if d["diagnosis"] != nil {
				t.Errorf("checkpoint %d: diagnosis %v, though Explain finds nothing", cs.ID, d["diagnosis"])
			}
			continue
		}
		got := obj(t, d["diagnosis"])
		if got["summary"] != finding.Summary || len(arr(t, got["causes"])) != len(finding.Causes) {
			t.Errorf("checkpoint %d: diagnosis %v, want %+v", cs.ID, got, finding)
		}
		if finding.Bottleneck >= 0 && got["bottleneck_vertex"] != web.VertexID(f.vertices[finding.Bottleneck].Operators[0].UID) {
			t.Errorf("checkpoint %d: bottleneck %v, want vertex %d", cs.ID, got["bottleneck_vertex"], finding.Bottleneck)
		}
		var listed bool
		for _, e := range list {
			listed = listed || num(t, obj(t, e)["id"]) == float64(cs.ID)
		}
		if !listed {
			t.Errorf("checkpoint %d is not in the diagnosis list %v", cs.ID, list)
		}
	}
}

func TestErrorsAndStates(t *testing.T) {
	f := fixture()
	ended := fixture()
	ended.id, ended.state, ended.end = "ffeeddccbbaa99887766554433221100", weir.StateFailed, t0.Add(time.Minute)
	ended.cfg.Enabled, ended.stats = false, nil
	ended.exceptions = []weir.Exception{{Time: t0.Add(time.Minute), Task: "Sink (1/1)", Message: "Sink (1/1) failed: boom", Attempt: 2, Final: true}}
	c := fakeServer(t, f, ended)

	// Upper-case IDs are IDs too.
	if d := c.get("/jobs/" + strings.ToUpper(f.id)); d["jid"] != f.id {
		t.Fatalf("job %v", d)
	}
	if code, b := c.do(http.MethodHead, "/jobs/"+f.id); code != http.StatusOK || len(b) != 0 {
		t.Fatalf("HEAD: %d %q", code, b)
	}
	code, _ := c.do(http.MethodPut, "/jobs/"+f.id)
	if code != http.StatusMethodNotAllowed {
		t.Fatalf("PUT: %d", code)
	}
	c.wantError(http.MethodGet, "/jobs/"+ended.id+"/checkpoints/config", http.StatusNotFound, "not enabled")
	c.wantError(http.MethodGet, "/jobs/"+f.id+"/checkpoints/details/-1", http.StatusBadRequest, "not a number")
	c.wantError(http.MethodGet, "/jobs/"+f.id+"/checkpoints/details/4/subtasks/zz", http.StatusBadRequest, "32 hexadecimal")
	c.wantError(http.MethodPatch, "/jobs/"+ended.id+"?mode=cancel", http.StatusConflict, "not running")
	c.wantError(http.MethodPatch, "/jobs/"+strings.Repeat("a", 32)+"?mode=cancel", http.StatusNotFound, "not found")

	d := c.get("/jobs/" + ended.id)
	if d["state"] != "FAILED" || num(t, d["duration"]) != 60000 || num(t, obj(t, d["timestamps"])["FAILED"]) != float64(t0.Add(time.Minute).UnixMilli()) {
		t.Fatalf("ended job %v", d)
	}
	if v := obj(t, arr(t, d["vertices"])[0]); v["status"] != "FAILED" || num(t, obj(t, v["tasks"])["FAILED"]) != 2 {
		t.Fatalf("ended vertex %v", v)
	}
	ex := c.get("/jobs/" + ended.id + "/exceptions")
	e := obj(t, arr(t, obj(t, ex["exceptionHistory"])["entries"])[0])
	if ex["root-exception"] != "Sink (1/1) failed: boom" || e["taskName"] != "Sink (1/1)" || e["final"] != true || num(t, e["attempt"]) != 2 ||
		len(arr(t, e["causes"])) != 1 || arr(t, e["causes"])[0] != "Sink (1/1) failed: boom" {
		t.Fatalf("exceptions %v", ex)
	}
	if ex := c.get("/jobs/" + f.id + "/exceptions"); ex["root-exception"] != nil || len(arr(t, obj(t, ex["exceptionHistory"])["entries"])) != 0 {
		t.Fatalf("no exceptions: %v", ex)
	}
	if o := c.get("/overview"); num(t, o["jobs-running"]) != 1 || num(t, o["jobs-failed"]) != 1 {
		t.Fatalf("overview %v", o)
	}

	// A cancel whose Host is a DNS name (DNS rebinding) is refused.
	req := httptest.NewRequest(http.MethodPatch, "http://evil.example:8081/jobs/"+f.id+"?mode=cancel", nil)
	w := httptest.NewRecorder()
	web.NewServer(web.Options{}, f).Handler().ServeHTTP(w, req)
	if w.Code != http.StatusForbidden || f.canceled != 0 {
		t.Fatalf("rebinding cancel: %d %s", w.Code, w.Body)
	}
	if code, b := c.do(http.MethodPatch, "/jobs/"+f.id); code != http.StatusAccepted || f.canceled != 1 {
		t.Fatalf("cancel: %d %s", code, b)
	}
}

func TestServerLifecycle(t *testing.T) {
	s := web.NewServer(web.Options{})
	if s.Addr() != nil || s.URL() != "" {
		t.Fatal("an unstarted server has an address")
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown before start: %v", err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); !errors.Is(err, web.ErrStarted) {
		t.Fatalf("second start: %v", err)
	}
	// The address is taken: a second server fails at once.
	other := web.NewServer(web.Options{})
	if err := other.Start(s.Addr().String()); err == nil {
		other.Shutdown(context.Background())
		t.Fatal("two servers on one address")
	}
	c := newClient(t, s.URL())
	if jobs := arr(t, c.get("/jobs")["jobs"]); len(jobs) != 0 {
		t.Fatalf("jobs %v", jobs)
	}
	// The dashboard is mounted at /.
	resp, err := http.Get(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(s.URL() + "overview"); err == nil {
		t.Fatal("the server still answers after Shutdown")
	}
}

func TestVertexIDs(t *testing.T) {
	id := web.VertexID("sensors")
	if len(id) != 32 || id != web.VertexID("sensors") || id == web.VertexID("sensor") {
		t.Fatalf("VertexID: %s", id)
	}
}
