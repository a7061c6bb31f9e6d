package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// An unknown command or subcommand, or a stray argument, is refused with one
// line and exit 2 (cobra printed the group's help and exited 0, or exited 1).
func TestUnknownCommandsExit2(t *testing.T) {
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"bogus"}, `weir: unknown command "bogus" for "weir" (the commands: bench, cancel, checkpoint, completion, config, history-server, jobmanager, run, taskmanager, version)`},
		{[]string{"rnu"}, `weir: unknown command "rnu" for "weir" (did you mean "run"? the commands: `},
		{[]string{"run", "nosuchjob"}, `weir: unknown command "nosuchjob" for "weir run" (the commands: nexmark, window-wordcount, wordcount)`},
		{[]string{"run", "wordcont"}, `weir: unknown command "wordcont" for "weir run" (did you mean "wordcount"? the commands: nexmark, window-wordcount, wordcount)`},
		{[]string{"checkpoint", "bogus"}, `weir: unknown command "bogus" for "weir checkpoint" (the commands: diagnose, inspect, list)`},
		{[]string{"bench", "bogus"}, `weir: unknown command "bogus" for "weir bench" (the commands: nexmark, wordcount)`},
		{[]string{"run", "wordcount", "extra"}, `weir: unknown command "extra" for "weir run wordcount"`},
		{[]string{"version", "extra"}, `weir: unknown command "extra" for "weir version"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := runWeir(t, "", tc.args...)
			wantRefusal(t, r, tc.says)
			if !strings.HasPrefix(r.stderr, tc.says) || r.stdout != "" {
				t.Fatalf("stdout %q, stderr %q; want only stderr %q", r.stdout, r.stderr, tc.says)
			}
		})
	}
	// A group without arguments still shows its help.
	if r := runWeir(t, "", "run"); r.code != 0 || !strings.Contains(r.stdout, "wordcount") {
		t.Fatalf("weir run: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// weir --version prints what weir version does: the module version and, in
// a build that recorded them, the commit and the Go version, not a bare
// "dev".
func TestVersionFlag(t *testing.T) {
	flag, cmd := runWeir(t, "", "--version"), runWeir(t, "", "version")
	if flag.code != 0 || cmd.code != 0 || flag.stdout != cmd.stdout {
		t.Fatalf("--version: %+v; version: %+v", flag, cmd)
	}
	if !strings.HasPrefix(flag.stdout, "weir ") || !strings.Contains(flag.stdout, runtime.Version()) {
		t.Fatalf("--version says %q; want weir VERSION (..., %s)", flag.stdout, runtime.Version())
	}
}

func TestFormatVersion(t *testing.T) {
	for _, tc := range []struct {
		bi   debug.BuildInfo
		want string
	}{
		{debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3 (go1.26.1)"},
		{debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v0.0.0-20260101120000-abcdef123456+dirty"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abcdef1234567890"}, {Key: "vcs.modified", Value: "true"}}},
			"v0.0.0-20260101120000-abcdef123456+dirty (commit abcdef1234567890, modified, go1.26.1)"},
		{debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abcdef1234567890"}, {Key: "vcs.modified", Value: "false"}}},
			"dev (commit abcdef1234567890, go1.26.1)"},
		{debug.BuildInfo{}, "dev"},
	} {
		if got := formatVersion(&tc.bi); got != tc.want {
			t.Errorf("formatVersion(%+v) = %q, want %q", tc.bi, got, tc.want)
		}
	}
}

// Ctrl-C (SIGINT) stops the job cleanly and exits 130; SIGTERM, a
// supervisor's stop, keeps exit 1. Both end with the same line.
func TestInterruptExits130(t *testing.T) {
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
		code int
	}{{"SIGINT", syscall.SIGINT, 130}, {"SIGTERM", syscall.SIGTERM, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			conns := make(chan net.Conn, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Write([]byte("a b\n")) // and keep it open: the job never ends by itself
				conns <- c
			}()
			p := start(t, t.TempDir(), "run", "wordcount", "--no-web", "--input", "socket://"+ln.Addr().String(), "--output", "-")
			p.await(t, "the first counts", func(out, _ []string) bool { return slices.Contains(out, "b,1") })
			if err := p.cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			<-p.done
			defer func() {
				select {
				case c := <-conns:
					c.Close()
				default:
				}
			}()
			if p.code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", p.code, tc.code, strings.Join(p.err, "\n"))
			}
			if last := p.err[len(p.err)-1]; last != "weir: job wordcount cancelled" {
				t.Fatalf("last stderr line %q, want %q", last, "weir: job wordcount cancelled")
			}
		})
	}
}

// --log-format json writes each log line as one JSON object (slog's JSON
// handler); text stays the default.
func TestLogFormatJSON(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(in, []byte("a b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runWeir(t, "", "run", "wordcount", "--no-web", "--input", in, "--output", "discard", "--log-format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	finished := false
	for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		if rec["msg"] == "job finished" && rec["level"] == "INFO" && rec["job"] == "wordcount" {
			finished = true
		}
	}
	if !finished {
		t.Fatalf("no JSON \"job finished\" line in:\n%s", r.stderr)
	}
	r = runWeir(t, "", "run", "wordcount", "--no-web", "--input", in, "--output", "discard")
	if r.code != 0 || !strings.Contains(r.stderr, `level=INFO msg="job finished" job=wordcount`) {
		t.Fatalf("default log format is not text: exit %d, stderr %q", r.code, r.stderr)
	}
}

// A word holding a comma or a quote is one quoted CSV field (RFC 4180,
// encoding/csv's rules), so word,count is never ambiguous; other words are
// written as before.
func TestWordCountQuotesCSV(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(in, []byte("job,, job \"hi\" job,,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runWeir(t, "", "run", "wordcount", "--no-web", "--input", in, "--output", "-", "-p", "1")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if want := "\"job,,\",1\njob,1\n\"\"\"hi\"\"\",1\n\"job,,\",2\n"; r.stdout != want {
		t.Fatalf("stdout %q, want %q", r.stdout, want)
	}
}

// bench nexmark without --query says what to give, not `unknown query ""`.
func TestBenchNexmarkWithoutQuery(t *testing.T) {
	r := runWeir(t, "", "bench", "nexmark", "--events", "10")
	wantRefusal(t, r, "weir: --query is required: one of q0, q1, q2, q3, q4, q5, q6, q7, q8 (docs/nexmark.md describes them)")
}

// Parallelism 0 is refused as Flink's CLI refuses it; one above
// pipeline.max-parallelism is said once, not once per operator.
func TestParallelismRefusedOnce(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(in, []byte("a b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ p, says string }{
		{"0", "weir: --parallelism 0: the parallelism must be a positive number\n"},
		{"300", "weir: invalid job graph: parallelism 300 (parallelism.default) is above pipeline.max-parallelism 128; lower it or raise pipeline.max-parallelism\n"},
	} {
		r := runWeir(t, "", "run", "wordcount", "--no-web", "--input", in, "--output", "discard", "-p", tc.p)
		if r.code != 2 || r.stderr != tc.says {
			t.Errorf("-p %s: exit %d, stderr %q; want exit 2, %q", tc.p, r.code, r.stderr, tc.says)
		}
	}
}

// A URL that is not a local path is refused with one line and exit 2, and
// nothing is written to a local directory named after its scheme (it was,
// before). s3:// is refused where it is not supported: the input and the
// window word count's late output (--output s3://... writes to S3:
// s3output_test.go).
func TestS3URLRefusedNotWrittenLocally(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte("1000 a b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"run", "wordcount", "--no-web", "--input", "s3://bucket/in", "--output", "-"}, `"s3://bucket/in": s3:// URLs are not supported`},
		{[]string{"run", "wordcount", "--no-web", "--input", "in.txt", "--output", "gs://bucket/out"}, `"gs://bucket/out": gs:// URLs are not supported`},
		{[]string{"run", "window-wordcount", "--no-web", "--window", "tumbling:10s", "--input", "in.txt", "--output", "-", "--late-output", "s3://bucket/late"}, `"s3://bucket/late": s3:// URLs are not supported`},
	} {
		r := runWeirIn(t, dir, "", tc.args...)
		wantRefusal(t, r, tc.says)
		wantRefusal(t, r, `URLs are not supported, only local paths (path, /abs/path or file:///abs/path)`)
		for _, local := range []string{"s3:", "gs:"} {
			if _, err := os.Stat(filepath.Join(dir, local)); !os.IsNotExist(err) {
				t.Fatalf("%v: a local directory %s was made (stat: %v)", tc.args, local, err)
			}
		}
	}
	// file:///abs/dir is a local directory.
	out := filepath.Join(dir, "out")
	if r := runWeirIn(t, dir, "", "run", "wordcount", "--no-web", "--input", "in.txt", "--output", "file://"+out); r.code != 0 {
		t.Fatalf("file:// output: exit %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "part-0-0")); err != nil {
		t.Fatalf("file:// output wrote no part file: %v", err)
	}
}
