package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

var (
	historyRE  = regexp.MustCompile(`msg="history server" url=(http://127\.0\.0\.1:\d+/) `)
	archivedRE = regexp.MustCompile(`msg="job archived for the history server" job=([0-9a-f]{32}) path=(\S+)`)
)

// archivedJob runs the word count over in with its archive going to dir,
// wants exit code want, and returns the job's ID and its archive, path ->
// JSON.
func archivedJob(t *testing.T, dir, in string, want int, args ...string) (string, map[string]string) {
	t.Helper()
	r := runWeir(t, "", append([]string{"run", "wordcount", "--input", in, "--output", "discard", "--no-web",
		"-D", "jobmanager.archive.fs.dir=" + dir}, args...)...)
	if r.code != want {
		t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, want, r.stderr)
	}
	m := archivedRE.FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no line says where the archive is; stderr:\n%s", r.stderr)
	}
	if m[2] != filepath.Join(dir, m[1]) {
		t.Fatalf("archive written to %s, want %s", m[2], filepath.Join(dir, m[1]))
	}
	b, err := os.ReadFile(m[2])
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Archive []struct{ Path, JSON string } }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("archive %s: %v", m[2], err)
	}
	out := map[string]string{}
	for _, e := range f.Archive {
		out[e.Path] = e.JSON
	}
	return m[1], out
}

// httpGet returns the status and body of GET url.
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestHistoryServer runs the word count to its end with an archive
// directory, then `weir history-server` over it: the job is listed as
// FINISHED and its pages answer what the job manager archived; a damaged
// file is a warning naming it; a job that fails later shows up at the next
// refresh as FAILED; Ctrl-C stops the server with exit code 130.
func TestHistoryServer(t *testing.T) {
	archive := t.TempDir()
	in := filepath.Join(t.TempDir(), "in.txt")
	os.WriteFile(in, []byte("to be or not to be\nthat is the question\nERROR\n"), 0o644)
	id, pages := archivedJob(t, archive, in, 0, "-D", "execution.checkpointing.interval=50ms")
	damaged := filepath.Join(archive, strings.Repeat("e", 32))
	os.WriteFile(damaged, []byte(`{"archive": [`), 0o644)

	p := start(t, t.TempDir(), "history-server", "-D", "historyserver.archive.fs.dir="+archive,
		"-D", "historyserver.web.port=0", "-D", "historyserver.archive.fs.refresh-interval=100ms")
	var base string
	p.await(t, "the history server's URL and the damaged archive's warning", func(_, errs []string) bool {
		warned := false
		for _, l := range errs {
			if m := historyRE.FindStringSubmatch(l); m != nil {
				base = m[1]
			}
			warned = warned || strings.Contains(l, `level=WARN msg="history server: skipping a damaged job archive" file=`+damaged+" ")
		}
		return base != "" && warned
	})

	code, body := httpGet(t, base+"jobs/overview")
	var ov struct {
		Jobs []struct{ JID, Name, State string }
	}
	if err := json.Unmarshal([]byte(body), &ov); code != 200 || err != nil || len(ov.Jobs) != 1 ||
		ov.Jobs[0].JID != id || ov.Jobs[0].Name != "wordcount" || ov.Jobs[0].State != "FINISHED" {
		t.Fatalf("GET /jobs/overview: %d %s", code, body)
	}
	for _, path := range []string{"/jobs/" + id, "/jobs/" + id + "/checkpoints", "/jobs/" + id + "/plan"} {
		want, ok := pages[path]
		if !ok {
			t.Fatalf("the archive lacks %s", path)
		}
		if code, body := httpGet(t, strings.TrimSuffix(base, "/")+path); code != 200 || body != want+"\n" {
			t.Fatalf("GET %s: %d\n%s\nwant the archived\n%s", path, code, body, want)
		}
	}
	if !strings.Contains(pages["/jobs/"+id+"/checkpoints"], `"status":"COMPLETED"`) {
		t.Errorf("archived checkpoints hold no completed checkpoint: %s", pages["/jobs/"+id+"/checkpoints"])
	}
	unknown := strings.Repeat("0", 32)
	if code, body := httpGet(t, base+"jobs/"+unknown); code != 404 || !strings.Contains(body, "Job "+unknown+" not found") {
		t.Fatalf("GET /jobs/%s: %d %s", unknown, code, body)
	}

	failedID, _ := archivedJob(t, archive, in, 1, "--fail-on", "ERROR")
	p.await(t, "the failed job in the history server", func(_, errs []string) bool {
		for _, l := range errs {
			if strings.Contains(l, `msg="history server: job archive read" job=`+failedID) {
				return true
			}
		}
		return false
	})
	if code, body := httpGet(t, base+"jobs/"+failedID+"/status"); code != 200 || body != `{"status":"FAILED"}`+"\n" {
		t.Fatalf("GET /jobs/%s/status: %d %s", failedID, code, body)
	}
	if code, body := httpGet(t, base+"jobs/"+failedID+"/exceptions"); code != 200 || !strings.Contains(body, `line \"ERROR\" matches --fail-on`) {
		t.Fatalf("GET /jobs/%s/exceptions: %d %s", failedID, code, body)
	}

	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the history server did not stop on SIGINT")
	}
	if p.code != 130 {
		t.Fatalf("exit %d after SIGINT, want 130", p.code)
	}
}

// TestHistoryServerRefusals: what is refused before anything is served or
// run, with exit code 2 and one line.
func TestHistoryServerRefusals(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"history-server"}, "weir: historyserver.archive.fs.dir is not set: give the directories jobs archive to"},
		{[]string{"history-server", "-D", "historyserver.archive.fs.dir=" + file}, "weir: historyserver.archive.fs.dir: " + file + " is a file, not a directory of job archives"},
		{[]string{"history-server", "-D", "historyserver.archive.fs.dir=/tmp", "-D", "historyserver.archive.retained-jobs=0"}, "must be -1 (no limit) or positive"},
		{[]string{"history-server", "-D", "historyserver.web.prot=0"}, `did you mean "historyserver.web.port"`},
		{[]string{"run", "wordcount", "--input", file, "-D", "jobmanager.archive.fs.dir=s3://bucket/jobs"},
			`weir: jobmanager.archive.fs.dir "s3://bucket/jobs": want a local directory or a file:// URL`},
	} {
		r := runWeir(t, "", tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("weir %s: exit %d, stderr %q; want 2 and one line with %q", strings.Join(tc.args, " "), r.code, r.stderr, tc.want)
		}
	}
}
