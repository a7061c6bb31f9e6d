package web_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/cluster"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/connector/discard"
	"github.com/weirstream/weir/internal/testutil"
	"github.com/weirstream/weir/web"
)

func get(t *testing.T, h http.Handler, method, target string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, "http://weir.test"+target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestDashboardServesEmbeddedFiles(t *testing.T) {
	h := web.Dashboard()
	for _, c := range []struct{ path, ctype, contains string }{
		{"/", "text/html; charset=utf-8", `<main id="view"`},
		{"/index.html", "text/html; charset=utf-8", `<main id="view"`},
		{"/style.css", "text/css; charset=utf-8", "--accent"},
		{"/js/app.js", "text/javascript; charset=utf-8", "hashchange"},
		{"/favicon.svg", "image/svg+xml", "<svg"},
		{"/vendor/uplot/uPlot.iife.min.js", "text/javascript; charset=utf-8", "uPlot"},
		{"/vendor/uplot/uPlot.min.css", "text/css; charset=utf-8", ".uplot"},
		{"/vendor/uplot/LICENSE", "text/plain; charset=utf-8", "MIT License"},
	} {
		w := get(t, h, http.MethodGet, c.path)
		if w.Code != http.StatusOK {
			t.Errorf("GET %s: %d", c.path, w.Code)
			continue
		}
		if got := w.Header().Get("Content-Type"); got != c.ctype {
			t.Errorf("GET %s: Content-Type %q, want %q", c.path, got, c.ctype)
		}
		if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q", c.path, got)
		}
		if !strings.Contains(w.Body.String(), c.contains) {
			t.Errorf("GET %s: body lacks %q", c.path, c.contains)
		}
	}
	if csp := get(t, h, http.MethodGet, "/").Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("index.html: Content-Security-Policy %q", csp)
	}

	// No directory listings, no escapes, nothing outside the embedded files.
	for _, p := range []string{
		"/js", "/js/", "/vendor/", "/vendor/uplot/", "/assets/index.html", "/nope.html",
		"/js/../index.html", "/..%2fdashboard.go", "/../dashboard.go", "//index.html",
		"/dashboard.go", "/index.html/", "/%2e%2e/dashboard.go",
	} {
		r := httptest.NewRequest(http.MethodGet, "http://weir.test/", nil)
		r.URL.Path = p // as sent, not cleaned
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusNotFound {
			t.Errorf("GET %q: %d, want 404", p, w.Code)
		}
	}

	if w := get(t, h, http.MethodPost, "/"); w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /: %d, Allow %q", w.Code, w.Header().Get("Allow"))
	}
	if w := get(t, h, http.MethodHead, "/js/app.js"); w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Errorf("HEAD /js/app.js: %d with %d bytes", w.Code, w.Body.Len())
	}
	etag := get(t, h, http.MethodGet, "/style.css").Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if w := get(t, h, http.MethodGet, "/style.css", "If-None-Match", etag); w.Code != http.StatusNotModified {
		t.Errorf("GET /style.css with its ETag: %d, want 304", w.Code)
	}
}

// Every file that index.html and the JavaScript modules refer to is
// embedded: a missing one would be a 404 in the browser.
func TestDashboardReferencesResolve(t *testing.T) {
	h := web.Dashboard()
	htmlRefs := regexp.MustCompile(`(?:src|href)="([^"#:]+)"`)
	jsRefs := regexp.MustCompile(`(?:from|import)\s+'(\.[^']+)'`)
	seen := map[string]bool{}
	var walk func(p string)
	walk = func(p string) {
		if seen[p] {
			return
		}
		seen[p] = true
		w := get(t, h, http.MethodGet, "/"+p)
		if w.Code != http.StatusOK {
			t.Errorf("%s is referred to but not served: %d", p, w.Code)
			return
		}
		if !strings.HasSuffix(p, ".html") && !strings.HasSuffix(p, ".js") || strings.Contains(p, "vendor/") {
			return
		}
		refs := jsRefs
		if strings.HasSuffix(p, ".html") {
			refs = htmlRefs
		}
		for _, m := range refs.FindAllStringSubmatch(w.Body.String(), -1) {
			if m[1] == "jobs/overview" {
				continue // the REST API, named in <noscript>
			}
			walk(path.Join(path.Dir(p), m[1]))
		}
	}
	walk("index.html")
	if len(seen) < 10 {
		t.Errorf("only %d files reached from index.html: %v", len(seen), seen)
	}
}

// twoTaskManagers stands for a job manager's registry of two task
// managers (cluster.JobManagerServer.TaskManagers), last heard from 2 and
// 4 s ago; the real registry is tested with real processes in
// cmd/weir/cluster_test.go.
func twoTaskManagers() []cluster.TaskManagerInfo {
	now := time.Now()
	a := cluster.TaskManagerInfo{ID: "tm-alpha-7f3a", Path: "10.1.0.11:40112", DataPort: 41001, Slots: 4, FreeSlots: 1,
		LastHeartbeat: now.Add(-2 * time.Second)}
	a.Hardware.CPUCores, a.Hardware.PhysicalMemory, a.Hardware.FreeMemory = 8, 16<<30, 9<<30
	b := cluster.TaskManagerInfo{ID: "tm-beta-19c0", Path: "10.1.0.12:40518", DataPort: 41002, Slots: 2, FreeSlots: 2,
		LastHeartbeat: now.Add(-4 * time.Second)}
	b.Hardware.CPUCores, b.Hardware.PhysicalMemory, b.Hardware.FreeMemory = 4, 8<<30, 6<<30
	return []cluster.TaskManagerInfo{b, a}
}

// slowSink writes a record every perRecord: the job's bottleneck.
type slowSink struct{ perRecord time.Duration }

func (s slowSink) CreateWriter(weir.SinkContext) (weir.SinkWriter[weir.Tuple2[string, int64]], error) {
	return s, nil
}
func (s slowSink) Write(weir.Tuple2[string, int64]) error { time.Sleep(s.perRecord); return nil }
func (slowSink) Flush(bool) error                         { return nil }
func (slowSink) Close() error                             { return nil }

// startJob runs a keyed sum over a throttled generator into a slow sink,
// with a checkpoint every 100 ms, until the test ends. The job fails once
// early on; startJob returns when it runs again.
func startJob(t *testing.T) *weir.Environment {
	cfg := config.New()
	err := cfg.SetPairs([]string{
		"parallelism.default=2",
		"execution.checkpointing.interval=100ms",
		"execution.checkpointing.dir=" + filepath.Join(t.TempDir(), "ckpt"),
		// Small buffers, so that a barrier waits behind little data.
		"taskmanager.memory.segment-size=4kb",
		"taskmanager.network.memory.buffers-per-channel=1",
		"taskmanager.network.memory.floating-buffers-per-gate=1",
		"restart-strategy.type=fixed-delay",
		"restart-strategy.fixed-delay.attempts=3",
		"restart-strategy.fixed-delay.delay=200ms",
	})
	if err != nil {
		t.Fatal(err)
	}
	e := weir.NewEnvironment(cfg)
	logs := &testutil.LockedBuffer{}
	e.SetLogger(slog.New(slog.NewTextHandler(logs, nil)))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("job log:\n%s", logs.String())
		}
	})
	pad := strings.Repeat("·", 40)
	gen := datagen.New(-1, 1, func(i int64, rnd uint64) weir.Tuple2[string, int64] {
		return weir.Tuple2[string, int64]{F0: fmt.Sprintf("sensor-%02d %s", rnd%50, pad), F1: 1}
	})
	// Event time is the wall clock, so that every vertex after the source
	// has a watermark that moves.
	wms := weir.ForMonotonousTimestamps(func(weir.Tuple2[string, int64]) int64 { return time.Now().UnixMilli() })
	src := weir.FromSourceWithWatermarks(e, connector.RateLimit(gen, 1200), "Sensors", wms).UID("sensors")
	// One failure, once a checkpoint or two completed, for the exceptions
	// page and a restore.
	var seen atomic.Int64
	valid := weir.Map(src, func(r weir.Tuple2[string, int64]) (weir.Tuple2[string, int64], error) {
		if seen.Add(1) == 800 {
			return r, errors.New("sensor reading out of range (injected once by the test)")
		}
		return r, nil
	}).Name("Validate").UID("validate")
	sums := weir.Sum(weir.KeyBy(valid, func(r weir.Tuple2[string, int64]) string { return r.F0 }),
		func(r *weir.Tuple2[string, int64]) *int64 { return &r.F1 }).Name("Count per sensor").UID("count")
	sums.Rebalance().SinkTo(slowSink{perRecord: 2 * time.Millisecond}, "Slow sink").UID("sink").SetParallelism(1)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Execute(ctx, "sensor-counts") }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("job: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("the job did not stop within 30 s of its cancellation")
		}
	})
	testutil.Await(t, 20*time.Second, func() bool {
		return e.Job().State() == weir.StateRunning && e.Job().Restarts() > 0 && len(e.Job().Vertices()) > 0
	}, func() string {
		return fmt.Sprintf("job not running again after a restart: %s, %d restarts", e.Job().State(), e.Job().Restarts())
	})
	return e
}

// startCancellable runs a throttled generator into a discard sink, named
// "cancel-me", for the dashboard's Cancel button; it returns when the job
// runs. The job is expected to end cancelled.
func startCancellable(t *testing.T) *weir.Environment {
	e := newEnv(t, "parallelism.default=1")
	gen := datagen.New(-1, 1, func(i int64, _ uint64) rec { return rec{F0: "x", F1: i} })
	weir.FromSource(e, connector.RateLimit(gen, 100), "Ticks").UID("ticks").SinkTo(discard.New[rec](), "Discard").UID("discard")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Execute(ctx, "cancel-me") }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("cancel-me: Execute returned %v, want a cancellation", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("cancel-me did not stop within 30 s of its cancellation")
		}
	})
	testutil.Await(t, 20*time.Second, func() bool { return e.Job().State() == weir.StateRunning },
		func() string { return "cancel-me is " + e.Job().State() })
	return e
}

// failedJob runs a job, "fails-for-good", whose first record fails it with
// a chain of three errors and no restart.
func failedJob(t *testing.T) *weir.Environment {
	e := newEnv(t, "restart-strategy.type=none")
	gen := datagen.New(10, 1, func(i int64, _ uint64) rec { return rec{F0: "x", F1: i} })
	root := errors.New("reading 42 exceeds the limit of 40")
	s := weir.Map(weir.FromSource(e, gen, "Readings").UID("readings"), func(r rec) (rec, error) {
		return r, fmt.Errorf("checking sensor x: %w", root)
	}).Name("Check").UID("check")
	s.SinkTo(discard.New[rec](), "Discard").UID("discard")
	if err := e.Execute(context.Background(), "fails-for-good"); !errors.Is(err, root) {
		t.Fatalf("fails-for-good: Execute returned %v", err)
	}
	return e
}

// finishedJob runs a bounded job, "runs-to-the-end", with event time and
// checkpoints, to its end: FINISHED, its watermarks at Long.MAX_VALUE.
func finishedJob(t *testing.T) *weir.Environment {
	e := newEnv(t, "parallelism.default=2", "execution.checkpointing.interval=20ms")
	gen := datagen.New(2000, 1, func(i int64, _ uint64) rec { return rec{F0: "k", F1: i} })
	wms := weir.ForMonotonousTimestamps(func(rec) int64 { return time.Now().UnixMilli() })
	weir.Map(weir.FromSourceWithWatermarks(e, gen, "Numbers", wms).UID("numbers"), func(r rec) (rec, error) { return r, nil }).
		Name("Pass").UID("pass").DisableChaining().SinkTo(discard.New[rec](), "Discard").UID("discard")
	if err := e.Execute(context.Background(), "runs-to-the-end"); err != nil {
		t.Fatalf("runs-to-the-end: %v", err)
	}
	if st := e.Job().State(); st != weir.StateFinished {
		t.Fatalf("runs-to-the-end is %s, want %s", st, weir.StateFinished)
	}
	return e
}

// serveJobs starts a REST server for jobs and stops it when the test ends.
func serveJobs(t *testing.T, o web.Options, jobs ...web.Job) *web.Server {
	o.Version = "test"
	srv := web.NewServer(o, jobs...)
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return srv
}

// browserTools finds node and Chromium; it skips the test when either is
// missing, unless CI is "true", where a missing browser is a failure.
func browserTools(t *testing.T) (node string) {
	node, err := exec.LookPath("node")
	var missing []string
	if err != nil {
		missing = append(missing, "node (apt-get install nodejs)")
	}
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		missing = append(missing, "/usr/bin/chromium (apt-get install chromium)")
	}
	if len(missing) > 0 {
		msg := "the dashboard test needs " + strings.Join(missing, " and ")
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if _, err := os.Stat(filepath.Join("e2e", "node_modules", "playwright-core", "package.json")); err != nil {
		t.Fatal("playwright-core is not installed: run npm ci --prefix web/e2e")
	}
	return node
}

// artifactsDir is where the screenshots go: $WEIR_ARTIFACTS, else
// .testenv/artifacts/dashboard at the repository's root.
func artifactsDir(t *testing.T) string {
	dir := os.Getenv("WEIR_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", ".testenv", "artifacts", "dashboard")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestDashboardInBrowser runs a job with backpressure, watermarks and
// checkpoints, a job to cancel and a job that failed, serves them with the
// REST server (and the first again on a server with web.cancel.enable:
// false), and drives the dashboard in headless Chromium
// (web/e2e/dashboard.mjs): job list, job graph with watermarks,
// checkpoints with their percentiles, one checkpoint's detail, exceptions
// with the cause chain, the job's configuration, the Cancel button (and
// its absence), the pages of a finished and a failed job without an
// "Invalid Date", the task managers (the one-process run's "embedded" and,
// on a server with web.Options.TaskManagers, a cluster's two) and each
// subtask's task manager, the layout at 1024x768, and an API outage.
func TestDashboardInBrowser(t *testing.T) {
	node := browserTools(t)
	out := artifactsDir(t)
	e := startJob(t)
	cancellable := startCancellable(t)
	failed := failedJob(t)
	finished := finishedJob(t)

	url := serveJobs(t, web.Options{}, e.Job(), cancellable.Job(), failed.Job(), finished.Job()).URL()
	noCancel := config.New()
	if err := noCancel.Set(config.WebCancelEnable.Key(), "false"); err != nil {
		t.Fatal(err)
	}
	roURL := serveJobs(t, web.Options{Config: noCancel}, e.Job()).URL()
	// A server that wants rest.auth.token, which the dashboard does not
	// have: its cancel is refused, and the page says why.
	authURL := serveJobs(t, web.Options{AuthToken: "s3cret-token"}, cancellable.Job()).URL()
	// A job manager's registry of two task managers, as web.Options has it
	// from cluster.JobManagerServer.TaskManagers, serving the running job:
	// the dashboard's Task managers view shows what GET /taskmanagers says.
	clusterURL := serveJobs(t, web.Options{TaskManagers: twoTaskManagers}, e.Job()).URL()
	t.Logf("dashboard at %s (without cancel at %s, with a token at %s, with two task managers at %s), screenshots in %s",
		url, roURL, authURL, clusterURL, out)

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("e2e", "dashboard.mjs"), url, out, roURL, authURL, clusterURL)
	var output bytes.Buffer
	cmd.Stdout = &output
	cmd.Stderr = &output
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	for _, line := range strings.Split(strings.TrimSpace(output.String()), "\n") {
		t.Log(line)
	}
	if err != nil {
		t.Fatalf("%s: %v (screenshots in %s)", strings.Join(cmd.Args, " "), err, out)
	}
	// The Cancel button cancelled the job for real.
	if st := cancellable.Job().State(); st != weir.StateCanceled {
		t.Errorf("cancel-me is %s after the dashboard cancelled it, want %s", st, weir.StateCanceled)
	}
	if st := e.Job().State(); st != weir.StateRunning {
		t.Errorf("sensor-counts is %s after the checks, want %s", st, weir.StateRunning)
	}
}
