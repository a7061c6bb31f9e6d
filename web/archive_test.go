package web_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/web"
)

// archiveOf writes j's archive to dir and reads it back as path -> JSON.
func archiveOf(t *testing.T, dir string, j web.Job) map[string]string {
	t.Helper()
	path, err := web.WriteArchive(dir, web.Options{}, j)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, j.ID()) {
		t.Fatalf("archive written to %s, want %s", path, filepath.Join(dir, j.ID()))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Archive []struct{ Path, JSON string }
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("the archive is not Flink's {archive: [{path, json}]}: %v", err)
	}
	out := map[string]string{}
	for _, e := range f.Archive {
		out[e.Path] = e.JSON
	}
	return out
}

// TestArchiveIsWhatTheServerAnswered: every page of an ended job is in its
// archive exactly as the live server answers it, and the file is all that
// is left in the directory (no temporary file).
func TestArchiveIsWhatTheServerAnswered(t *testing.T) {
	f := fixture()
	f.state, f.end = weir.StateFinished, t0.Add(time.Minute)
	dir := t.TempDir()
	got := archiveOf(t, dir, f)
	if names, _ := filepath.Glob(filepath.Join(dir, "*")); len(names) != 1 {
		t.Fatalf("directory holds %v, want the archive alone", names)
	}
	if hidden, _ := filepath.Glob(filepath.Join(dir, ".*")); len(hidden) != 0 {
		t.Fatalf("temporary files left: %v", hidden)
	}
	base := "/jobs/" + f.id
	src, sink := web.VertexID("s"), web.VertexID("k")
	for _, p := range []string{"/jobs/overview", base, base + "/plan", base + "/status", base + "/config",
		base + "/execution-result", base + "/exceptions", base + "/checkpoints", base + "/checkpoints/config",
		base + "/checkpoints/details/4", base + "/checkpoints/details/5/subtasks/" + sink,
		base + "/vertices/" + src, base + "/vertices/" + sink + "/backpressure", base + "/vertices/" + src + "/watermarks",
		base + "/vertices/" + src + "/subtasktimes", base + "/vertices/" + src + "/metrics", base + "/metrics"} {
		if _, ok := got[p]; !ok {
			t.Errorf("archive lacks %s; it holds %v", p, slices.Sorted(mapKeys(got)))
		}
	}
	ts := httptest.NewServer(web.NewServer(web.Options{}, f).Handler())
	defer ts.Close()
	c := newClient(t, ts.URL)
	for p, archived := range got {
		target := p
		if strings.HasSuffix(p, "/metrics") {
			// Archived with every value: the live answer to ?get= of them all.
			var ms []struct{ ID string }
			json.Unmarshal([]byte(archived), &ms)
			var ids []string
			for _, m := range ms {
				ids = append(ids, m.ID)
			}
			target += "?get=" + strings.Join(ids, ",")
		}
		code, live := c.do(http.MethodGet, target)
		if code != http.StatusOK || !reflect.DeepEqual(withoutClock(t, []byte(archived)), withoutClock(t, live)) {
			t.Errorf("%s: archived\n%s\nlive (%d)\n%s", p, archived, code, live)
		}
	}
}

// withoutClock decodes b without the fields that say when it was answered
// ("now", "end-timestamp"), which differ between two answers.
func withoutClock(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	if m, ok := v.(map[string]any); ok {
		delete(m, "now")
		delete(m, "end-timestamp")
	}
	return v
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestArchiveOfFailedJob: a failed job's archive carries its exceptions,
// and the history server lists it as FAILED and answers its exceptions.
func TestArchiveOfFailedJob(t *testing.T) {
	f := fixture()
	f.state, f.end = weir.StateFailed, t0.Add(time.Minute)
	f.exceptions = []weir.Exception{{Time: t0.Add(30 * time.Second), Task: "Sink (1/1)", Message: "sink refused record 7",
		Causes: []string{"sink refused record 7", "disk full"}, Attempt: 3, Final: true}}
	dir := t.TempDir()
	got := archiveOf(t, dir, f)
	ex := got["/jobs/"+f.id+"/exceptions"]
	if !strings.Contains(ex, "sink refused record 7") || !strings.Contains(ex, "disk full") {
		t.Fatalf("archived exceptions %s lack the failure", ex)
	}

	hs := web.NewHistoryServer(web.HistoryOptions{Dirs: []string{dir}})
	hs.Refresh()
	ts := httptest.NewServer(hs.Handler())
	defer ts.Close()
	c := newClient(t, ts.URL)
	jobs := arr(t, c.get("/jobs/overview")["jobs"])
	if len(jobs) != 1 || obj(t, jobs[0])["jid"] != f.id || obj(t, jobs[0])["state"] != "FAILED" {
		t.Fatalf("/jobs/overview %v", jobs)
	}
	if root := c.get("/jobs/" + f.id + "/exceptions")["root-exception"]; !strings.Contains(root.(string), "sink refused record 7") {
		t.Fatalf("root-exception %v", root)
	}
	if o := c.get("/overview"); num(t, o["jobs-failed"]) != 1 || num(t, o["taskmanagers"]) != 0 {
		t.Fatalf("/overview %v", o)
	}
}

// TestHistoryServerRoutes: what the history server answers besides the
// archived pages.
func TestHistoryServerRoutes(t *testing.T) {
	f := fixture()
	f.state, f.end = weir.StateFinished, t0.Add(time.Minute)
	dir := t.TempDir()
	archiveOf(t, dir, f)
	hs := web.NewHistoryServer(web.HistoryOptions{Dirs: []string{dir}, Refresh: 3 * time.Second})
	hs.Refresh()
	ts := httptest.NewServer(hs.Handler())
	defer ts.Close()
	c := newClient(t, ts.URL)

	cfg := c.get("/config")
	if feat := obj(t, cfg["features"]); feat["web-history"] != true || feat["web-cancel"] != false || num(t, cfg["refresh-interval"]) != 3000 {
		t.Fatalf("/config %v", cfg)
	}
	if l := arr(t, c.get("/v1/jobs")["jobs"]); len(l) != 1 || obj(t, l[0])["status"] != "FINISHED" {
		t.Fatalf("/jobs %v", l)
	}
	// A metrics route answers ?get= from the archived values, and without
	// it the IDs, as the live one does.
	vm := "/jobs/" + f.id + "/vertices/" + web.VertexID("s") + "/metrics"
	if code, b := c.do(http.MethodGet, vm+"?get=0.numRecordsOut"); code != 200 || string(b) != `[{"id":"0.numRecordsOut","value":"100"}]`+"\n" {
		t.Fatalf("%s?get=0.numRecordsOut: %d %s", vm, code, b)
	}
	if code, b := c.do(http.MethodGet, vm); code != 200 || !strings.HasPrefix(string(b), `[{"id":"0.`) || strings.Contains(string(b), "value") {
		t.Fatalf("%s: %d %s", vm, code, b)
	}
	other := strings.Repeat("0", 32)
	c.wantError(http.MethodGet, "/jobs/"+other, http.StatusNotFound, "Job "+other+" not found: no archive of it in "+dir)
	c.wantError(http.MethodGet, "/jobs/"+f.id+"/checkpoints/details/99", http.StatusNotFound, "does not hold it")
	c.wantError(http.MethodGet, "/jobs/nope", http.StatusBadRequest, "is not 32 hexadecimal digits")
	c.wantError(http.MethodGet, "/metrics", http.StatusNotFound, "Not found: /metrics")
	c.wantError(http.MethodGet, "/jobs/metrics", http.StatusNotFound, "Not found: /jobs/metrics")
	c.wantError(http.MethodPatch, "/jobs/"+f.id+"?mode=cancel", http.StatusMethodNotAllowed, "changes nothing")
	if code, b := c.do(http.MethodGet, "/"); code != 200 || !strings.Contains(string(b), "<html") {
		t.Fatalf("GET /: %d %.80s", code, b)
	}
}

// TestHistoryServerSkipsDamagedArchives: a damaged file is one warning
// naming it, once until it changes; the good archives are served; an
// archive removed from the directory is dropped at the next refresh; and
// retained-jobs keeps the newest.
func TestHistoryServerSkipsDamagedArchives(t *testing.T) {
	dir := t.TempDir()
	a := fixture()
	a.state, a.end = weir.StateFinished, t0.Add(time.Minute)
	archiveOf(t, dir, a)
	b := fixture()
	b.id, b.state, b.end = "ffeeddccbbaa99887766554433221100", weir.StateCanceled, t0.Add(2*time.Minute)
	bPath := filepath.Join(dir, b.id)
	archiveOf(t, dir, b)
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(dir, a.id), old, old); err != nil {
		t.Fatal(err)
	}
	damaged := filepath.Join(dir, "0123456789abcdef0123456789abcdef")
	if err := os.WriteFile(damaged, []byte(`{"archive": [{"path": "/jobs/ov`), 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	hs := web.NewHistoryServer(web.HistoryOptions{Dirs: []string{dir}, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	hs.Refresh()
	hs.Refresh()
	if hs.Jobs() != 2 {
		t.Fatalf("%d jobs served, want 2", hs.Jobs())
	}
	want := `level=WARN msg="history server: skipping a damaged job archive" file=` + damaged
	if n := strings.Count(log.String(), want); n != 1 {
		t.Fatalf("log holds %q %d times, want once:\n%s", want, n, log.String())
	}
	if err := os.Remove(bPath); err != nil {
		t.Fatal(err)
	}
	hs.Refresh()
	if hs.Jobs() != 1 {
		t.Fatalf("%d jobs served after one was removed, want 1", hs.Jobs())
	}

	archiveOf(t, dir, b)
	newest := web.NewHistoryServer(web.HistoryOptions{Dirs: []string{dir}, Retained: 1, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	newest.Refresh()
	ts := httptest.NewServer(newest.Handler())
	defer ts.Close()
	jobs := arr(t, newClient(t, ts.URL).get("/jobs/overview")["jobs"])
	if len(jobs) != 1 || obj(t, jobs[0])["jid"] != b.id {
		t.Fatalf("retained-jobs 1: /jobs/overview %v, want job %s alone", jobs, b.id)
	}
}
