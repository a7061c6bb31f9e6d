package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/web"
)

// TestDiagnoseRetained diagnoses the checkpoint a killed word count left:
// fast against its real interval, slow against a tiny share of a tiny one.
func TestDiagnoseRetained(t *testing.T) {
	dir := t.TempDir()
	text, _ := corpus(4000)
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p := start(t, dir, "run", "wordcount", "--input", "in.txt", "--output", "out", "-p", "2", "--rate", "2000",
		"-D", "execution.checkpointing.interval=100ms")
	p.await(t, "two completed checkpoints", func(_, errs []string) bool { return completed(errs) >= 2 })
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	root := filepath.Join(dir, "weir-checkpoints")
	jobDir := filepath.Join(root, "wordcount")
	header := "job wordcount (" + jobDir + ")\n"

	r := runWeir(t, "", "checkpoint", "diagnose", root, "-D", "execution.checkpointing.interval=1m")
	if r.code != 0 || r.stdout != header+"no slow or failed checkpoints\n" {
		t.Fatalf("fast: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}

	// Without -D the checkpoints' own recorded interval is used.
	if r := runWeir(t, "", "checkpoint", "diagnose", root); r.code != 0 || !strings.HasPrefix(r.stdout, header) {
		t.Fatalf("recorded interval: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}

	r = runWeir(t, "", "checkpoint", "diagnose", jobDir, "-D", "execution.checkpointing.interval=10ms", "--slow-share", "0.0001")
	if r.code != 0 || !strings.HasPrefix(r.stdout, header) {
		t.Fatalf("slow: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	summary := regexp.MustCompile(`^Checkpoint (\d+) took [0-9.]+(µs|ms|s), with checkpoints every 10ms: (Source: Lines -> Split|Count -> Format -> Files) \([12]/2\) spent [0-9.]+(µs|ms|s) of its [0-9.]+(µs|ms|s) \(\d+%\) .+\.$`)
	m := summary.FindStringSubmatch(lines[1])
	if m == nil {
		t.Fatalf("summary line %q does not match %s", lines[1], summary)
	}
	var where, advice bool
	for _, l := range lines[2:] {
		where = where || strings.HasPrefix(l, "  cause:  Where the ")
		advice = advice || strings.HasPrefix(l, "  advice: ")
		if !strings.HasPrefix(l, "  cause:  ") && !strings.HasPrefix(l, "  advice: ") && l != "" && !summary.MatchString(l) {
			t.Errorf("unexpected line %q", l)
		}
	}
	if !where || !advice {
		t.Errorf("no breakdown or no advice:\n%s", r.stdout)
	}

	// One checkpoint directory.
	chk := filepath.Join(jobDir, "chk-"+m[1])
	r = runWeir(t, "", "checkpoint", "diagnose", chk, "-D", "execution.checkpointing.interval=10ms", "--slow-share=0.0001")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "job wordcount ("+chk+")\nCheckpoint "+m[1]+" took ") {
		t.Fatalf("chk dir: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestDiagnoseBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{dir}, "no checkpoints under " + dir},
		{[]string{filepath.Join(dir, "nope"), "-D", "execution.checkpointing.interval=1s"}, "no checkpoints under " + filepath.Join(dir, "nope") + ": it does not exist"},
		{[]string{dir, "-D", "execution.checkpointing.interval=1s"}, "no checkpoints under " + dir},
		{[]string{dir, "-D", "execution.checkpointing.interval=1ms"}, "execution.checkpointing.interval"},
		{[]string{dir, "-D", "execution.checkpointing.interval=1s", "--slow-share", "0"}, "--slow-share 0: want a number above 0"},
		{[]string{dir, "--job", "abc", "-D", "execution.checkpointing.interval=1s"}, "--job goes with --web"},
		{[]string{dir, "--web", "http://127.0.0.1:1"}, "takes PATH or --web, not both"},
		{[]string{"--web", "ftp://x"}, "--web ftp://x: want http://HOST:PORT"},
		{[]string{}, "takes one argument, PATH, or --web URL (got 0 arguments)"},
	} {
		r := runWeir(t, "", append([]string{"checkpoint", "diagnose"}, tc.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.says) || r.stdout != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 saying %q", tc.args, r.code, r.stdout, r.stderr, tc.says)
		}
	}
}

// fakeJob is a job as the REST server sees it: the first seed's, with a
// sink far slower than its source.
type fakeJob struct {
	id    string
	stats checkpoint.Stats
	vs    []graph.VertexStatus
}

func (j *fakeJob) ID() string                                { return j.id }
func (j *fakeJob) Name() string                              { return "orders" }
func (j *fakeJob) State() string                             { return weir.StateRunning }
func (j *fakeJob) Times() (time.Time, time.Time)             { return time.Now().Add(-time.Hour), time.Time{} }
func (j *fakeJob) Restarts() int                             { return 0 }
func (j *fakeJob) Exceptions() []weir.Exception              { return nil }
func (j *fakeJob) Vertices() []graph.VertexStatus            { return j.vs }
func (j *fakeJob) CheckpointStats() (checkpoint.Stats, bool) { return j.stats, true }
func (j *fakeJob) Cancel() error                             { return nil }
func (j *fakeJob) CheckpointConfig() weir.CheckpointConfig {
	return weir.CheckpointConfig{Enabled: true, Interval: 20 * time.Second, Timeout: 10 * time.Minute, Mode: "EXACTLY_ONCE",
		MaxConcurrent: 1, StateBackend: "hashmap", Retention: "RETAIN_ON_CANCELLATION", NumRetained: 1}
}

func slowSinkJob(id string) *fakeJob {
	now := time.Now()
	src := checkpoint.SubtaskKey{Vertex: 0}
	sink := checkpoint.SubtaskKey{Vertex: 1}
	ms := time.Millisecond
	expired := checkpoint.CheckpointStats{
		ID: 7, Status: checkpoint.StatusFailed, TriggerTime: now.Add(-10 * time.Minute), EndTime: now,
		EndToEnd: 10 * time.Minute, NumSubtasks: 2, NumAcknowledged: 1,
		Failure: &checkpoint.ExpiredError{Checkpoint: 7, Timeout: 10 * time.Minute, Total: 2,
			Missing: []checkpoint.SubtaskKey{sink}, Names: []string{"MySQL Sink (1/1)"}},
		Subtasks: []checkpoint.SubtaskStats{
			{Task: src, Name: "Source: Kafka (1/1)", Acknowledged: true, AckTime: now.Add(-10*time.Minute + 40*ms), EndToEnd: 40 * ms,
				Metrics: checkpoint.SubtaskMetrics{StartDelay: 35 * ms, SyncDuration: ms, AsyncDuration: 3 * ms, StateSize: 2048}},
			{Task: sink, Name: "MySQL Sink (1/1)"},
		},
	}
	fast := checkpoint.CheckpointStats{
		ID: 6, Status: checkpoint.StatusCompleted, TriggerTime: now.Add(-11 * time.Minute), EndTime: now.Add(-11*time.Minute + 90*ms),
		EndToEnd: 90 * ms, NumSubtasks: 2, NumAcknowledged: 2,
		Subtasks: []checkpoint.SubtaskStats{
			{Task: src, Name: "Source: Kafka (1/1)", Acknowledged: true, EndToEnd: 20 * ms, Metrics: checkpoint.SubtaskMetrics{StartDelay: 15 * ms}},
			{Task: sink, Name: "MySQL Sink (1/1)", Acknowledged: true, EndToEnd: 90 * ms, Metrics: checkpoint.SubtaskMetrics{StartDelay: 80 * ms}},
		},
	}
	return &fakeJob{
		id:    id,
		stats: checkpoint.Stats{Triggered: 7, Completed: 6, Failed: 1, LatestFailed: &expired, History: []checkpoint.CheckpointStats{expired, fast}},
		vs: []graph.VertexStatus{
			{ID: 0, Name: "Source: Kafka", Parallelism: 1, Operators: []graph.OperatorInfo{{Name: "Kafka", UID: "kafka"}},
				Subtasks: []graph.SubtaskStatus{{BusyTimeMsPerSecond: 40, BackPressuredTimeMsPerSecond: 955, IdleTimeMsPerSecond: 5}}},
			{ID: 1, Name: "MySQL Sink", Parallelism: 1, Operators: []graph.OperatorInfo{{Name: "MySQL Sink", UID: "mysql"}},
				Inputs:   []graph.VertexInputInfo{{FromVertex: 0, Partitioning: "REBALANCE"}},
				Subtasks: []graph.SubtaskStatus{{RecordsIn: 52000, BusyTimeMsPerSecond: 994, IdleTimeMsPerSecond: 6}}},
		},
	}
}

func runHere(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var so, se bytes.Buffer
	code := run(args, &so, &se)
	return so.String(), se.String(), code
}

// TestDiagnoseWeb asks the REST server of a running job: its own diagnosis,
// and, with thresholds given or from a server without it (Flink's), one
// made here from Flink's checkpoint and backpressure shapes.
func TestDiagnoseWeb(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef"
	srv := web.NewServer(web.Options{}, slowSinkJob(id))
	weirAPI := httptest.NewServer(srv.Handler())
	defer weirAPI.Close()
	flinkAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/checkpoints/diagnosis") { // Flink has none
			http.Error(w, `{"errors":["Not found"]}`, http.StatusNotFound)
			return
		}
		srv.Handler().ServeHTTP(w, r)
	}))
	defer flinkAPI.Close()

	want := "job orders (" + id + ")\n" +
		"Checkpoint 7 expired after 10m0s: MySQL Sink (1/1) never acknowledged because its barrier was stuck behind backpressured data; the bottleneck is MySQL Sink, busy 99% of the time.\n" +
		"  cause:  1 of 2 subtasks never acknowledged: MySQL Sink (1/1).\n" +
		"  cause:  Backpressured: Source: Kafka (HIGH, 96% of the time); downstream of it MySQL Sink is not backpressured and busy 99% of the time: it is the bottleneck.\n" +
		"  advice: Raise the parallelism of MySQL Sink (now 1) or make it faster, so that it keeps up with its input.\n" +
		"  advice: Unaligned checkpoints would let the barrier overtake the queued data, but Weir does not have them yet; until then, fewer network buffers (taskmanager.network.memory.buffers-per-channel, taskmanager.network.memory.floating-buffers-per-gate) leave less data in front of the barrier.\n" +
		"  advice: A longer execution.checkpointing.timeout does not cure backpressure: the barrier waits as long as the backlog lasts.\n"
	for name, args := range map[string][]string{
		"weir":                    {"--web", weirAPI.URL},
		"weir, with a share":      {"--web", weirAPI.URL + "/", "--slow-share", "0.5", "--job", id},
		"flink":                   {"--web", flinkAPI.URL},
		"flink, versioned path":   {"--web", flinkAPI.URL + "/v1"},
		"weir, with the interval": {"--web", weirAPI.URL, "-D", "execution.checkpointing.interval=20s"},
	} {
		stdout, stderr, code := runHere(t, append([]string{"checkpoint", "diagnose"}, args...)...)
		if code != 0 || stdout != want {
			t.Errorf("%s: exit %d\nstdout:\n%s\nwant:\n%s\nstderr: %s", name, code, stdout, want, stderr)
		}
	}

	// Checkpoint 6 took 90ms of a 20s interval; of a 100ms one, it is slow.
	stdout, _, code := runHere(t, "checkpoint", "diagnose", "--web", weirAPI.URL, "-D", "execution.checkpointing.interval=100ms")
	if code != 0 || !strings.Contains(stdout, "\n\nCheckpoint 6 took 90ms, with checkpoints every 100ms: MySQL Sink (1/1) spent 80ms of its 90ms (89%) waiting for the barrier, which was stuck behind backpressured data; the bottleneck is MySQL Sink, busy 99% of the time.\n") {
		t.Errorf("interval 100ms: exit %d\n%s", code, stdout)
	}
}

func TestDiagnoseWebJobs(t *testing.T) {
	a, b := slowSinkJob("0123456789abcdef0123456789abcdef"), slowSinkJob("fedcba9876543210fedcba9876543210")
	b.stats.History, b.stats.LatestFailed = b.stats.History[1:], nil // only the fast checkpoint
	api := httptest.NewServer(web.NewServer(web.Options{}, a, b).Handler())
	defer api.Close()

	_, stderr, code := runHere(t, "checkpoint", "diagnose", "--web", api.URL)
	if code != 2 || !strings.Contains(stderr, "2 jobs at "+api.URL+"; pick one with --job: 0123456789abcdef0123456789abcdef (RUNNING), fedcba9876543210fedcba9876543210 (RUNNING)") {
		t.Errorf("two jobs: exit %d, stderr %q", code, stderr)
	}
	stdout, stderr, code := runHere(t, "checkpoint", "diagnose", "--web", api.URL, "--job", b.id)
	if code != 0 || stdout != "job orders ("+b.id+")\nno slow or failed checkpoints\n" {
		t.Errorf("--job: exit %d\n%s%s", code, stdout, stderr)
	}
	_, stderr, code = runHere(t, "checkpoint", "diagnose", "--web", api.URL, "--job", "nope")
	if code != 2 || !strings.Contains(stderr, "no job nope at "+api.URL+"; there are: ") {
		t.Errorf("unknown job: exit %d, stderr %q", code, stderr)
	}
	api.Close()
	_, stderr, code = runHere(t, "checkpoint", "diagnose", "--web", api.URL)
	if code != 1 || !strings.Contains(stderr, "cannot reach the REST API") {
		t.Errorf("closed server: exit %d, stderr %q", code, stderr)
	}
}

// TestDiagnoseWebRunningJob asks a running `weir run` through its REST API.
func TestDiagnoseWebRunningJob(t *testing.T) {
	dir := t.TempDir()
	text, _ := corpus(20000)
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p := start(t, dir, "run", "wordcount", "--input", "in.txt", "--output", "discard", "-p", "2", "--rate", "2000",
		"-D", "execution.checkpointing.interval=100ms", "--web", "127.0.0.1:0")
	base := p.dashboardURL(t)
	p.await(t, "two completed checkpoints", func(_, errs []string) bool { return completed(errs) >= 2 })
	job := regexp.MustCompile(`^job wordcount \([0-9a-f]{32}\)$`)

	// The job's own diagnosis: whatever it finds, it is well formed.
	r := runWeir(t, "", "checkpoint", "diagnose", "--web", base)
	lines := strings.Split(r.stdout, "\n")
	if r.code != 0 || !job.MatchString(lines[0]) {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}

	// Against a tiny share of a tiny interval every checkpoint is slow that
	// took a millisecond or more (the REST API gives whole milliseconds):
	// ask until the history holds one.
	summary := regexp.MustCompile(`^Checkpoint \d+ took [0-9.]+(µs|ms|s), with checkpoints every 10ms: .*(Source: Lines|Split|Count).* \([12]/2\).*\.$`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		r = runWeir(t, "", "checkpoint", "diagnose", "--web", base, "-D", "execution.checkpointing.interval=10ms", "--slow-share", "0.0001")
		lines = strings.Split(r.stdout, "\n")
		if r.code != 0 || !job.MatchString(lines[0]) || len(lines) < 2 {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		if lines[1] != "no slow or failed checkpoints" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint of a millisecond or more in 30s")
		}
		<-time.After(50 * time.Millisecond)
	}
	if len(lines) < 3 || !summary.MatchString(lines[1]) {
		t.Fatalf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
	t.Logf("%s", r.stdout)
}
