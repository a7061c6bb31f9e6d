package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/connector/discard"
	"github.com/weirstream/weir/web"
)

type rec = weir.Tuple2[string, int64]

func newEnv(t *testing.T, kv ...string) *weir.Environment {
	t.Helper()
	cfg := config.New()
	// Checkpoints go to the test's own directory unless it names one: never
	// into the source tree.
	kv = append([]string{"execution.checkpointing.dir=" + filepath.Join(t.TempDir(), "ckpt")}, kv...)
	if err := cfg.SetPairs(kv); err != nil {
		t.Fatal(err)
	}
	return weir.NewEnvironment(cfg)
}

// keyedJob is a rate-limited generator, a map that fails once, a keyed sum
// and a discard sink, with checkpoints every 50 ms and restarts.
func keyedJob(t *testing.T) *weir.Environment {
	e := newEnv(t, "parallelism.default=2",
		"execution.checkpointing.interval=50ms",
		"execution.checkpointing.dir="+filepath.Join(t.TempDir(), "ckpt"),
		"restart-strategy.type=fixed-delay",
		"restart-strategy.fixed-delay.attempts=3",
		"restart-strategy.fixed-delay.delay=10ms")
	gen := datagen.New(1<<40, 7, func(_ int64, rnd uint64) rec { return rec{F0: fmt.Sprint("k", rnd%16), F1: 1} })
	var seen atomic.Int64
	var failed atomic.Bool
	s := weir.FromSource(e, connector.RateLimit(gen, 2000), "Gen").UID("gen")
	s = weir.Map(s, func(r rec) (rec, error) {
		if seen.Add(1) == 1500 && !failed.Swap(true) {
			return r, errors.New("injected failure")
		}
		return r, nil
	}).Name("Check").UID("check")
	sum := weir.Sum(weir.KeyBy(s, func(r rec) string { return r.F0 }), func(r *rec) *int64 { return &r.F1 }).UID("sum")
	sum.SinkTo(discard.New[rec](), "Discard").UID("discard")
	return e
}

// lagSink takes a millisecond per record.
type lagSink struct{}

func (lagSink) CreateWriter(weir.SinkContext) (weir.SinkWriter[rec], error) { return lagSink{}, nil }
func (lagSink) Write(rec) error                                             { time.Sleep(time.Millisecond); return nil }
func (lagSink) Flush(bool) error                                            { return nil }
func (lagSink) Close() error                                                { return nil }

// backpressuredJob is an unthrottled generator feeding a slow sink over a
// network edge with few buffers: the source is backpressured.
func backpressuredJob(t *testing.T) *weir.Environment {
	e := newEnv(t, "taskmanager.memory.segment-size=4kb", "taskmanager.network.memory.buffers-per-channel=2")
	gen := datagen.New(1<<40, 1, func(i int64, _ uint64) rec { return rec{F0: "x", F1: i} })
	weir.FromSource(e, gen, "Fast").UID("fast").Rebalance().SinkTo(lagSink{}, "Slow").UID("slow")
	return e
}

// run executes e's job on a goroutine; the returned channel yields its end.
func run(e *weir.Environment, name string) <-chan error {
	done := make(chan error, 1)
	go func() { done <- e.Execute(context.Background(), name) }()
	return done
}

func TestRESTAgainstRunningJobs(t *testing.T) {
	defer goleak.VerifyNone(t)
	ea, eb := keyedJob(t), backpressuredJob(t)
	doneA, doneB := run(ea, "keyed"), run(eb, "backpressured")
	a, b := ea.Job(), eb.Job()
	defer func() { // end both jobs whatever happens
		a.Cancel()
		b.Cancel()
		<-doneA
		<-doneB
	}()

	srv := web.NewServer(web.Options{Version: "v-test"}, a, b)
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") || !strings.HasSuffix(srv.URL(), "/") {
		t.Fatalf("URL %q", srv.URL())
	}
	c := newClient(t, srv.URL())
	jid := a.ID()

	// Live figures: the keyed job restarts once, completes checkpoints and
	// has per-second rates; the other job's source is backpressured.
	eventually(t, 30*time.Second, "restart, checkpoints and rates", func() bool {
		st, ok := a.CheckpointStats()
		if a.Restarts() < 1 || !ok || st.Completed < 3 || st.LatestRestore == nil {
			return false
		}
		vs := a.Vertices()
		return len(vs) > 0 && len(vs[0].Subtasks) > 0 && vs[0].Subtasks[0].RecordsOutPerSecond > 0
	})

	t.Run("overview", func(t *testing.T) {
		o := c.get("/overview")
		hasKeys(t, "/overview", o, "taskmanagers", "slots-total", "slots-available", "jobs-running", "jobs-finished", "jobs-cancelled", "jobs-failed", "weir-version")
		hasKeys(t, "/overview", o, "flink-version", "flink-commit", "weir-commit")
		if o["weir-version"] != "v-test" || o["flink-version"] != "1.20.0" || num(t, o["jobs-running"]) != 2 || num(t, o["slots-total"]) < 2 {
			t.Fatalf("/overview %v", o)
		}
	})
	t.Run("config", func(t *testing.T) {
		o := c.get("/config")
		hasKeys(t, "/config", o, "refresh-interval", "timezone-name", "timezone-offset", "weir-version", "features", "flink-version", "flink-revision")
		if o["flink-version"] != "1.20.0" {
			t.Fatalf("/config %v", o)
		}
		f := obj(t, o["features"])
		if f["web-cancel"] != true || f["web-submit"] != false {
			t.Fatalf("features %v", f)
		}
	})
	t.Run("jobs", func(t *testing.T) {
		jobs := arr(t, c.get("/jobs")["jobs"])
		if len(jobs) != 2 || obj(t, jobs[0])["id"] != jid || obj(t, jobs[0])["status"] != "RUNNING" {
			t.Fatalf("/jobs %v", jobs)
		}
		ov := obj(t, arr(t, c.get("/jobs/overview")["jobs"])[0])
		hasKeys(t, "/jobs/overview", ov, "jid", "name", "state", "start-time", "end-time", "duration", "last-modification", "tasks")
		if ov["name"] != "keyed" || num(t, ov["end-time"]) != -1 || num(t, obj(t, ov["tasks"])["running"]) != 4 {
			t.Fatalf("/jobs/overview %v", ov)
		}
		if st := c.get("/jobs/" + jid + "/status"); st["status"] != "RUNNING" {
			t.Fatalf("/status %v", st)
		}
		if r := c.get("/jobs/" + jid + "/execution-result"); obj(t, r["status"])["id"] != "IN_PROGRESS" || r["job-execution-result"] != nil {
			t.Fatalf("/execution-result of a running job %v", r)
		}
		// /v1 is Flink's versioned prefix.
		if got := arr(t, c.get("/v1/jobs")["jobs"]); len(got) != 2 {
			t.Fatalf("/v1/jobs %v", got)
		}
	})

	var vids []string
	t.Run("job details", func(t *testing.T) {
		d := c.get("/jobs/" + jid)
		hasKeys(t, "job", d, "jid", "name", "isStoppable", "state", "job-type", "start-time", "end-time", "duration", "maxParallelism", "now", "timestamps", "vertices", "status-counts", "plan")
		if d["jid"] != jid || d["state"] != "RUNNING" || num(t, d["duration"]) <= 0 || num(t, d["now"]) < num(t, d["start-time"]) {
			t.Fatalf("job %v", d)
		}
		if sc := obj(t, d["status-counts"]); num(t, sc["RUNNING"]) != 2 || num(t, sc["FAILED"]) != 0 || num(t, d["maxParallelism"]) != 128 {
			t.Fatalf("status-counts %v, maxParallelism %v", sc, d["maxParallelism"])
		}
		if num(t, obj(t, d["timestamps"])["RUNNING"]) <= 0 {
			t.Fatalf("timestamps %v", d["timestamps"])
		}
		vs := arr(t, d["vertices"])
		if len(vs) != 2 {
			t.Fatalf("vertices %v", vs)
		}
		for _, v := range vs {
			v := obj(t, v)
			hasKeys(t, "vertex", v, "id", "name", "maxParallelism", "parallelism", "status", "start-time", "end-time", "duration", "tasks", "metrics")
			hasKeys(t, "vertex metrics", obj(t, v["metrics"]), "read-records", "read-records-complete", "write-records", "write-records-complete",
				"numRecordsInPerSecond", "numRecordsOutPerSecond", "busyTimeMsPerSecond", "backPressuredTimeMsPerSecond", "idleTimeMsPerSecond", "outPoolUsage")
			vids = append(vids, v["id"].(string))
		}
		src, sink := obj(t, vs[0]), obj(t, vs[1])
		if !strings.HasPrefix(src["name"].(string), "Source: Gen") || src["id"] != web.VertexID("gen") || sink["id"] != web.VertexID("sum") {
			t.Fatalf("vertex names or IDs: %v / %v", src, sink)
		}
		// Records grow between two readings.
		before := num(t, obj(t, src["metrics"])["write-records"])
		eventually(t, 10*time.Second, "records to grow", func() bool {
			v := obj(t, arr(t, c.get("/jobs/" + jid)["vertices"])[0])
			return num(t, obj(t, v["metrics"])["write-records"]) > before
		})
		if num(t, obj(t, sink["metrics"])["read-records"]) <= 0 {
			t.Fatalf("sink metrics %v", sink["metrics"])
		}
		plan := obj(t, d["plan"])
		hasKeys(t, "plan", plan, "jid", "name", "type", "nodes")
		nodes := arr(t, plan["nodes"])
		in := obj(t, arr(t, obj(t, nodes[1])["inputs"])[0])
		if in["id"] != vids[0] || in["ship_strategy"] != "HASH" || num(t, in["num"]) != 0 {
			t.Fatalf("plan input %v", in)
		}
		if p := c.get("/jobs/" + jid + "/plan"); len(arr(t, obj(t, p["plan"])["nodes"])) != 2 {
			t.Fatalf("/plan %v", p)
		}
	})

	t.Run("vertex", func(t *testing.T) {
		d := c.get("/jobs/" + jid + "/vertices/" + vids[0])
		hasKeys(t, "vertex", d, "id", "name", "maxParallelism", "parallelism", "now", "subtasks")
		subs := arr(t, d["subtasks"])
		if len(subs) != 2 {
			t.Fatalf("subtasks %v", subs)
		}
		s := obj(t, subs[1])
		hasKeys(t, "subtask", s, "subtask", "status", "attempt", "endpoint", "start-time", "end-time", "duration", "metrics", "taskmanager-id")
		if num(t, s["subtask"]) != 1 || num(t, s["attempt"]) < 1 || num(t, obj(t, s["metrics"])["write-records"]) <= 0 {
			t.Fatalf("subtask %v", s)
		}
		// Both subtasks on the one task manager of the embedded run.
		tms := c.get("/jobs/" + jid + "/vertices/" + vids[0] + "/taskmanagers")
		hasKeys(t, "vertex task managers", tms, "id", "name", "now", "taskmanagers")
		list := arr(t, tms["taskmanagers"])
		if len(list) != 1 {
			t.Fatalf("vertex task managers %v", tms)
		}
		tm := obj(t, list[0])
		hasKeys(t, "vertex task manager", tm, "endpoint", "taskmanager-id", "status", "start-time", "end-time", "duration", "metrics", "status-counts")
		if tm["taskmanager-id"] != "embedded" || len(arr(t, tm["subtasks"])) != 2 || num(t, obj(t, tm["metrics"])["write-records"]) <= 0 {
			t.Fatalf("vertex task manager %v", tm)
		}
	})

	t.Run("backpressure", func(t *testing.T) {
		bj := b.ID()
		src := web.VertexID("fast")
		var d map[string]any
		eventually(t, 15*time.Second, "the source to be backpressured", func() bool {
			d = c.get("/jobs/" + bj + "/vertices/" + src + "/backpressure")
			return d["backpressure-level"] == "high"
		})
		hasKeys(t, "backpressure", d, "status", "backpressure-level", "end-timestamp", "subtasks")
		s := obj(t, arr(t, d["subtasks"])[0])
		hasKeys(t, "subtask backpressure", s, "subtask", "attempt-number", "backpressure-level", "ratio", "idleRatio", "busyRatio")
		if num(t, s["ratio"]) <= 0.5 || s["backpressure-level"] != "high" {
			t.Fatalf("subtask %v", s)
		}
		// The slow sink is busy, not backpressured.
		sink := c.get("/jobs/" + bj + "/vertices/" + web.VertexID("slow") + "/backpressure")
		if sink["backpressure-level"] != "ok" {
			t.Fatalf("sink %v", sink)
		}
	})

	t.Run("exceptions", func(t *testing.T) {
		d := c.get("/jobs/" + jid + "/exceptions")
		hasKeys(t, "exceptions", d, "root-exception", "timestamp", "all-exceptions", "truncated", "exceptionHistory")
		if !strings.Contains(d["root-exception"].(string), "injected failure") {
			t.Fatalf("root-exception %v", d["root-exception"])
		}
		entries := arr(t, obj(t, d["exceptionHistory"])["entries"])
		if len(entries) != 1 {
			t.Fatalf("entries %v", entries)
		}
		e := obj(t, entries[0])
		hasKeys(t, "exception entry", e, "exceptionName", "stacktrace", "timestamp", "taskName", "endpoint", "taskManagerId", "failureLabels", "concurrentExceptions")
		if !strings.HasPrefix(e["taskName"].(string), "Check (") || e["final"] != false {
			t.Fatalf("entry %v", e)
		}
		// The cause chain: the task's failure first, the root cause last.
		causes := arr(t, e["causes"])
		if len(causes) != 2 || !strings.HasPrefix(causes[0].(string), "Check (") || !strings.HasSuffix(causes[0].(string), ") failed") ||
			causes[1] != "injected failure" {
			t.Fatalf("causes %q", causes)
		}
	})

	var cid float64
	t.Run("checkpoints", func(t *testing.T) {
		d := c.get("/jobs/" + jid + "/checkpoints")
		hasKeys(t, "checkpoints", d, "counts", "summary", "latest", "history")
		counts := obj(t, d["counts"])
		hasKeys(t, "counts", counts, "restored", "total", "in_progress", "completed", "failed")
		if num(t, counts["completed"]) < 3 || num(t, counts["restored"]) < 1 || num(t, counts["total"]) < num(t, counts["completed"]) {
			t.Fatalf("counts %v", counts)
		}
		sum := obj(t, d["summary"])
		for _, k := range []string{"end_to_end_duration", "state_size", "checkpointed_size", "processed_data", "persisted_data", "alignment_buffered"} {
			hasKeys(t, "summary."+k, obj(t, sum[k]), "min", "avg", "max", "p50", "p90", "p95", "p99", "p999")
		}
		if e := obj(t, sum["state_size"]); num(t, e["p50"]) <= 0 || num(t, e["p50"]) > num(t, e["p999"]) || num(t, e["p999"]) > num(t, e["max"]) {
			t.Fatalf("state_size percentiles %v", e)
		}
		if num(t, obj(t, sum["state_size"])["max"]) <= 0 {
			t.Fatalf("summary %v", sum)
		}
		latest := obj(t, d["latest"])
		hasKeys(t, "latest", latest, "completed", "savepoint", "failed", "restored")
		done := obj(t, latest["completed"])
		hasKeys(t, "latest completed", done, "className", "id", "status", "is_savepoint", "trigger_timestamp", "latest_ack_timestamp",
			"checkpointed_size", "state_size", "end_to_end_duration", "alignment_buffered", "processed_data", "persisted_data",
			"num_subtasks", "num_acknowledged_subtasks", "checkpoint_type", "tasks", "external_path", "discarded")
		if done["status"] != "COMPLETED" || done["className"] != "completed" || done["checkpoint_type"] != "CHECKPOINT" ||
			num(t, done["num_acknowledged_subtasks"]) != 4 || num(t, done["state_size"]) <= 0 {
			t.Fatalf("latest completed %v", done)
		}
		hasKeys(t, "latest restored", obj(t, latest["restored"]), "id", "restore_timestamp", "is_savepoint", "external_path")
		if len(arr(t, d["history"])) < 3 {
			t.Fatalf("history %v", d["history"])
		}
		cid = num(t, done["id"])
		// Checkpoints go on completing.
		eventually(t, 10*time.Second, "another checkpoint", func() bool {
			return num(t, obj(t, c.get("/jobs/" + jid + "/checkpoints")["counts"])["completed"]) > num(t, counts["completed"])
		})
	})
	t.Run("checkpoint config", func(t *testing.T) {
		d := c.get("/jobs/" + jid + "/checkpoints/config")
		hasKeys(t, "checkpoint config", d, "mode", "interval", "timeout", "min_pause", "max_concurrent", "externalization",
			"state_backend", "checkpoint_storage", "unaligned_checkpoints", "tolerable_failed_checkpoints")
		if d["mode"] != "exactly_once" || num(t, d["interval"]) != 50 || d["checkpoint_storage"] != "FileSystemCheckpointStorage" {
			t.Fatalf("checkpoint config %v", d)
		}
		hasKeys(t, "externalization", obj(t, d["externalization"]), "enabled", "delete_on_cancellation")
		// The backpressured job does not checkpoint: 404, as Flink.
		c.wantError(http.MethodGet, "/jobs/"+b.ID()+"/checkpoints", http.StatusNotFound, "Checkpointing is not enabled")
	})
	t.Run("checkpoint details", func(t *testing.T) {
		path := fmt.Sprintf("/jobs/%s/checkpoints/details/%d", jid, int64(cid))
		d := c.get(path)
		if num(t, d["id"]) != cid || d["status"] != "COMPLETED" {
			t.Fatalf("details %v", d)
		}
		tasks := obj(t, d["tasks"])
		if len(tasks) != 2 {
			t.Fatalf("tasks %v", tasks)
		}
		for _, vid := range vids {
			task := obj(t, tasks[vid])
			hasKeys(t, "task", task, "id", "status", "latest_ack_timestamp", "checkpointed_size", "state_size", "end_to_end_duration",
				"alignment_buffered", "processed_data", "persisted_data", "num_subtasks", "num_acknowledged_subtasks")
			if num(t, task["num_acknowledged_subtasks"]) != 2 {
				t.Fatalf("task %v", task)
			}
		}
		sd := c.get(path + "/subtasks/" + vids[1])
		hasKeys(t, "subtask details", sd, "id", "status", "latest_ack_timestamp", "state_size", "end_to_end_duration", "num_subtasks", "summary", "subtasks")
		sum := obj(t, sd["summary"])
		hasKeys(t, "subtask summary", sum, "checkpointed_size", "state_size", "end_to_end_duration", "checkpoint_duration", "alignment", "start_delay")
		hasKeys(t, "checkpoint_duration", obj(t, sum["checkpoint_duration"]), "sync", "async")
		hasKeys(t, "alignment", obj(t, sum["alignment"]), "buffered", "processed", "persisted", "duration")
		subs := arr(t, sd["subtasks"])
		if len(subs) != 2 {
			t.Fatalf("subtasks %v", subs)
		}
		s := obj(t, subs[0])
		hasKeys(t, "subtask", s, "index", "status", "ack_timestamp", "end_to_end_duration", "state_size", "checkpointed_size",
			"checkpoint", "alignment", "start_delay", "unaligned_checkpoint", "aborted")
		hasKeys(t, "subtask checkpoint", obj(t, s["checkpoint"]), "sync", "async")
		hasKeys(t, "subtask alignment", obj(t, s["alignment"]), "buffered", "processed", "persisted", "duration")
		if s["status"] != "completed" || num(t, s["state_size"]) <= 0 || num(t, s["ack_timestamp"]) < num(t, d["trigger_timestamp"]) {
			t.Fatalf("subtask %v", s)
		}
		// Diagnoses: whatever Explain finds, the list is well formed.
		for _, e := range arr(t, c.get("/jobs/" + jid + "/checkpoints/diagnosis")["entries"]) {
			e := obj(t, e)
			hasKeys(t, "diagnosis entry", e, "id", "status", "trigger_timestamp", "end_to_end_duration", "diagnosis")
			hasKeys(t, "diagnosis", obj(t, e["diagnosis"]), "summary", "causes", "advice")
		}
	})

	t.Run("metrics", func(t *testing.T) { checkFlinkMetrics(t, c, jid) })

	t.Run("errors", func(t *testing.T) {
		c.wantError(http.MethodGet, "/jobs/0123456789abcdef0123456789abcdef", http.StatusNotFound, "not found")
		c.wantError(http.MethodGet, "/jobs/nope", http.StatusBadRequest, "32 hexadecimal")
		c.wantError(http.MethodGet, "/jobs/"+jid+"/vertices/0123456789abcdef0123456789abcdef", http.StatusNotFound, "not found")
		c.wantError(http.MethodGet, "/jobs/"+jid+"/vertices/xyz/backpressure", http.StatusBadRequest, "32 hexadecimal")
		c.wantError(http.MethodGet, "/jobs/"+jid+"/checkpoints/details/999999", http.StatusNotFound, "checkpoint 999999")
		c.wantError(http.MethodGet, "/jobs/"+jid+"/checkpoints/details/x", http.StatusBadRequest, "not a number")
		c.wantError(http.MethodGet, "/jobs/"+jid+"/nothing", http.StatusNotFound, "Not found")
		c.wantError(http.MethodPost, "/jobs/"+jid, http.StatusMethodNotAllowed, "POST")
		c.wantError(http.MethodDelete, "/overview", http.StatusMethodNotAllowed, "DELETE")
		c.wantError(http.MethodPatch, "/jobs/"+jid+"?mode=stop", http.StatusBadRequest, "mode")
	})

	t.Run("path traversal", func(t *testing.T) {
		addr := srv.Addr().String()
		for _, target := range []string{
			"/../../etc/passwd", "/../../../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E/%2E%2E/etc/passwd",
			"/jobs/..%2f..%2f..%2fetc%2fpasswd", "/jobs/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/jobs/" + jid + "/..%2f..%2f..%2fetc%2fpasswd",
			"/assets/../../../etc/passwd", "/v1/jobs/../../../../etc/passwd", "/..%5c..%5cetc%5cpasswd", "/.%2e/.%2e/etc/passwd",
			"//etc/passwd", "/jobs/./overview",
		} {
			code, body := rawGet(t, addr, target)
			if code != http.StatusBadRequest {
				t.Errorf("GET %s: %d, want 400: %s", target, code, body)
			}
			if strings.Contains(body, "root:") {
				t.Fatalf("GET %s served a file: %s", target, body)
			}
		}
		// What is not a traversal reaches the dashboard, which serves no file.
		for _, target := range []string{"/etc/passwd", "/%252e%252e/%252e%252e/etc/passwd", "/assets/%2e%2e"} {
			if code, body := rawGet(t, addr, target); strings.Contains(body, "root:") || code >= 500 {
				t.Fatalf("GET %s: %d %s", target, code, body)
			}
		}
	})

	t.Run("cancel disabled", func(t *testing.T) {
		cfg := config.New()
		if err := cfg.Set(config.WebCancelEnable.Key(), "false"); err != nil {
			t.Fatal(err)
		}
		ro := web.NewServer(web.Options{Config: cfg}, a)
		if err := ro.Start("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		defer ro.Shutdown(context.Background())
		rc := newClient(t, ro.URL())
		rc.wantError(http.MethodPatch, "/jobs/"+jid+"?mode=cancel", http.StatusForbidden, "web.cancel.enable")
		if f := obj(t, rc.get("/config")["features"]); f["web-cancel"] != false {
			t.Fatalf("features %v", f)
		}
		if a.State() != weir.StateRunning {
			t.Fatalf("job %s after a refused cancel", a.State())
		}
	})

	t.Run("cancel", func(t *testing.T) {
		if code, b := c.do(http.MethodPatch, "/jobs/"+jid+"?mode=cancel"); code != http.StatusAccepted {
			t.Fatalf("PATCH: %d %s", code, b)
		}
		select {
		case err := <-doneA:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Execute returned %v", err)
			}
			doneA = closedWith(err)
		case <-time.After(20 * time.Second):
			t.Fatal("the job did not end after the cancel")
		}
		d := c.get("/jobs/" + jid)
		if d["state"] != "CANCELED" || num(t, d["end-time"]) <= 0 || num(t, obj(t, d["timestamps"])["CANCELED"]) <= 0 {
			t.Fatalf("after cancel: %v", d)
		}
		r := c.get("/jobs/" + jid + "/execution-result")
		if res := obj(t, r["job-execution-result"]); obj(t, r["status"])["id"] != "COMPLETED" || res["application-status"] != "CANCELED" || res["id"] != jid {
			t.Fatalf("/execution-result after cancel %v", r)
		}
		c.wantError(http.MethodPatch, "/jobs/"+jid, http.StatusConflict, "not running")
		if o := c.get("/overview"); num(t, o["jobs-cancelled"]) != 1 || num(t, o["jobs-running"]) != 1 {
			t.Fatalf("/overview %v", o)
		}
	})
}

// closedWith returns a channel that yields err once more (the deferred
// cleanup reads the job's end again).
func closedWith(err error) <-chan error {
	ch := make(chan error, 1)
	ch <- err
	return ch
}
