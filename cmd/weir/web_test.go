package main

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var dashboardRE = regexp.MustCompile(`msg="web dashboard" url=(http://127\.0\.0\.1:\d+/)$`)

// dashboardURL waits for the line that logs the dashboard's URL (weir run
// --web 127.0.0.1:PORT) and returns the URL.
func (p *proc) dashboardURL(t *testing.T) string {
	t.Helper()
	var base string
	p.await(t, "the dashboard URL", func(_, errs []string) bool {
		for _, l := range errs {
			if m := dashboardRE.FindStringSubmatch(l); m != nil {
				base = m[1]
				return true
			}
		}
		return false
	})
	return base
}

// TestWebCancel runs a socket word count with the REST API on a free port,
// finds the job through it, and cancels it with `weir cancel`.
func TestWebCancel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // one connection, held open until the test ends
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.Write([]byte("to be or not to be\n"))
		buf := make([]byte, 1)
		c.Read(buf) // returns when weir closes its end
	}()
	p := start(t, t.TempDir(), "run", "wordcount", "--input", "socket://"+ln.Addr().String(), "--output", "discard", "--web", "127.0.0.1:0")
	base := p.dashboardURL(t)

	resp, err := http.Get(base + "jobs")
	if err != nil {
		t.Fatal(err)
	}
	var jobs struct {
		Jobs []struct{ ID, Status string }
	}
	err = json.NewDecoder(resp.Body).Decode(&jobs)
	resp.Body.Close()
	if err != nil || len(jobs.Jobs) != 1 || len(jobs.Jobs[0].ID) != 32 {
		t.Fatalf("GET /jobs: %v %+v", err, jobs)
	}
	id := jobs.Jobs[0].ID

	if r := runWeir(t, "", "cancel", strings.Repeat("0", 32), "--web", base); r.code != 1 || !strings.Contains(r.stderr, "weir: Job "+strings.Repeat("0", 32)+" not found.") {
		t.Fatalf("cancel of an unknown job: %+v", r)
	}
	if r := runWeir(t, "", "cancel", "nope", "--web", base); r.code != 2 {
		t.Fatalf("cancel of a malformed ID: %+v", r)
	}
	r := runWeir(t, "", "cancel", id, "--web", base)
	if r.code != 0 || r.stdout != "Cancelled job "+id+".\n" {
		t.Fatalf("weir cancel: %+v", r)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("weir run did not end after the cancel")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if last := p.err[len(p.err)-1]; p.code != 1 || last != "weir: job wordcount cancelled" {
		t.Fatalf("weir run ended with %d, %q", p.code, last)
	}
}

// TestWebAddressTaken: when the REST address is taken, the job runs anyway
// and one warning says so.
func TestWebAddressTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	in := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(in, []byte("a b a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runWeir(t, "", "run", "wordcount", "--input", in, "--web", ln.Addr().String())
	if r.code != 0 || !strings.Contains(r.stdout, "a,2\n") {
		t.Fatalf("exit %d, stdout %q: %s", r.code, r.stdout, r.stderr)
	}
	var warns []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.Contains(l, "level=WARN") {
			warns = append(warns, l)
		}
	}
	if len(warns) != 1 || !strings.Contains(warns[0], `msg="web dashboard not started; the job runs without it"`) ||
		!strings.Contains(warns[0], "address already in use") {
		t.Fatalf("warnings %q", warns)
	}
	if r := runWeir(t, "", "run", "wordcount", "--input", in, "--web", "nowhere"); r.code != 2 {
		t.Fatalf("--web nowhere: %+v", r)
	}
	if r := runWeir(t, "", "run", "wordcount", "--input", in, "--web", "127.0.0.1:0", "--no-web"); r.code != 2 {
		t.Fatalf("--web with --no-web: %+v", r)
	}
}
