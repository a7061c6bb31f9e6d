package main

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The edges of recovery (issue 11, items 1, 2, 6 and 11): a finished job,
// two jobs of one name, a storage outage while restoring, exit codes.

// runEdgeIn runs weir in dir with env added to the environment, to its end.
func runEdgeIn(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	return runWeirEnv(t, dir, env, "", args...)
}

// lostAndDuplicated compares the committed part files under dir with the
// updates a failure-free run writes (every word's counts 1..n once each).
func lostAndDuplicated(t *testing.T, dir string, want map[string]int64) (lost, dup int) {
	t.Helper()
	seen := map[string]int{}
	for _, text := range committedParts(t, dir) {
		for _, l := range strings.Fields(text) {
			seen[l]++
		}
	}
	return chaosLostDuplicated(seen, want)
}

// unreachableS3 is an S3 checkpoint location where nothing listens (an
// outage), and the environment that makes weir try it once per request.
func unreachableS3(t *testing.T) (url string, env []string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url = "s3://bucket/x?region=us-east-1&use_path_style=true&disable_https=true&endpoint=http://" + ln.Addr().String()
	ln.Close()
	return url, []string{"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_MAX_ATTEMPTS=1"}
}

// renamedCorpus is corpus(n) with old replaced by new in every word: the
// input of another job, whose updates differ from the first one's.
func renamedCorpus(n int, old, new string) (string, map[string]int64) {
	text, want := corpus(n)
	renamed := map[string]int64{}
	for w, c := range want {
		renamed[strings.ReplaceAll(w, old, new)] = c
	}
	return strings.ReplaceAll(text, old, new), renamed
}

// edgeJob is a word count over its own input, in a directory of its own.
type edgeJob struct {
	dir  string
	args []string // run wordcount ... without --from-checkpoint
	want map[string]int64
}

func newEdgeJob(t *testing.T, lines int, extra ...string) *edgeJob {
	t.Helper()
	dir := t.TempDir()
	text, want := corpus(lines)
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"run", "wordcount", "--no-web", "--input", "in.txt", "--output", "out", "-p", "2",
		"-D", "execution.checkpointing.interval=50ms"}, extra...)
	return &edgeJob{dir: dir, args: args, want: want}
}

func (j *edgeJob) run(t *testing.T, env []string, more ...string) result {
	t.Helper()
	return runEdgeIn(t, j.dir, env, append(slices.Clone(j.args), more...)...)
}

// supervise restarts the job with --from-checkpoint latest, as a
// supervisor does, until a run exits 0 or refuses with exit 2; it returns
// that last run.
func (j *edgeJob) supervise(t *testing.T) result {
	t.Helper()
	for i := 0; i < 5; i++ {
		r := j.run(t, nil, "--from-checkpoint", "latest")
		if r.code == 0 || r.code == 2 {
			return r
		}
		t.Logf("resumed run exited %d; restarting:\n%s", r.code, r.stderr)
	}
	t.Fatal("the job never ended")
	return result{}
}

// jobDirEntries lists the names in dir/weir-checkpoints/<job>.
func jobDirEntries(t *testing.T, dir, job string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "weir-checkpoints", job))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// expectFinishedRefusal checks the one-line refusal of latest on a
// finished job.
func expectFinishedRefusal(t *testing.T, r result, dir, job string) {
	t.Helper()
	expectRefusal(t, r, "--from-checkpoint latest: job "+job+" finished at ",
		filepath.Join(dir, "weir-checkpoints", job, "_finished"),
		"so its output is complete; to run it again from the beginning, start it without --from-checkpoint")
}

// TestFinishedJobRefusesLatest: a job killed, resumed with latest and
// finished keeps none of its checkpoints (the restored one included) but
// the marker; latest then refuses with exit 2 instead of publishing the
// tail again, and a run without --from-checkpoint starts over.
func TestFinishedJobRefusesLatest(t *testing.T) {
	c := killAfterCheckpoints(t, 2, 3)
	c.resume(t, "-p", "2", "--from-checkpoint", "latest")
	if got := jobDirEntries(t, c.dir, "wordcount"); !slices.Equal(got, []string{"_finished"}) {
		t.Fatalf("job directory after the finish holds %v, want only the _finished marker (execution.checkpointing.num-retained 1 applies to the restored checkpoint too)", got)
	}
	r := runWeirIn(t, c.dir, "", append(slices.Clone(c.common), "-p", "2", "--from-checkpoint", "latest")...)
	expectFinishedRefusal(t, r, c.dir, "wordcount")
	checkCommittedExactlyOnce(t, filepath.Join(c.dir, "out"), c.want)

	// Starting over: a run without --from-checkpoint, into a new output.
	r = runWeirIn(t, c.dir, "", "run", "wordcount", "--no-web", "--input", "in", "--output", "again",
		"-D", "execution.checkpointing.interval=100ms")
	if r.code != 0 {
		t.Fatalf("a fresh run after the finish exited %d:\n%s", r.code, r.stderr)
	}
	checkCommittedExactlyOnce(t, filepath.Join(c.dir, "again"), c.want)
}

// TestRetentionAppliesToRestoredCheckpoints (11.1): a job killed and
// resumed with latest again and again keeps, with the default
// execution.checkpointing.num-retained 1, at most that many complete
// checkpoints plus the one a kill may catch between completing a new one
// and deleting the old: the restored checkpoints are the job's own and go
// too (before, every resumed run left the one it restored: one more per
// kill). Resumed to its end, the job keeps only the finished marker.
func TestRetentionAppliesToRestoredCheckpoints(t *testing.T) {
	c := killAfterCheckpoints(t, 2, 2)
	jobDir := filepath.Join(c.dir, "weir-checkpoints", "wordcount")
	for round := 1; round <= 3; round++ {
		p := start(t, c.dir, append(slices.Clone(c.common), "-p", "2", "--rate", "2000", "--from-checkpoint", "latest")...)
		p.await(t, "two completed checkpoints", func(_, errs []string) bool { return completed(errs) >= 2 })
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-p.done
		if ids := retained(t, jobDir); len(ids) > 2 {
			t.Fatalf("after %d resumed runs were killed the job directory holds checkpoints %v; num-retained 1 allows one (two while a kill interrupts the deletion)", round, ids)
		}
	}
	c.resume(t, "-p", "2", "--from-checkpoint", "latest")
	if got := jobDirEntries(t, c.dir, "wordcount"); !slices.Equal(got, []string{"_finished"}) {
		t.Fatalf("job directory after the finish holds %v, want only the _finished marker", got)
	}
	checkCommittedExactlyOnce(t, filepath.Join(c.dir, "out"), c.want)
}

// TestChaosFinishEdges (11.1) kills the job at each moment of its end
// (WEIR_TEST_KILL_AT: after the final checkpoint before the sinks'
// final commit, after the commit before the finished marker, after the
// marker before the checkpoints are deleted) and once at a random moment
// mid-run (throttled, so that periodic checkpoints precede the end), then
// restarts it the way a supervisor does, always with
// --from-checkpoint latest: the output must be exact, and once finished,
// latest must refuse with exit 2.
func TestChaosFinishEdges(t *testing.T) {
	moments := []string{"before-final-commit", "before-finished-marker", "before-discard", "mid-run"}
	var o chaosOutcome
	for round := 0; round < *chaosRounds; round++ {
		for _, moment := range moments {
			j := newEdgeJob(t, 3000)
			o.Tried++
			if moment == "mid-run" {
				p := start(t, j.dir, append(slices.Clone(j.args), "--rate", "3000")...)
				p.await(t, "two completed checkpoints", func(_, errs []string) bool { return completed(errs) >= 2 })
				if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				<-p.done
			} else if r := j.run(t, []string{"WEIR_TEST_KILL_AT=" + moment}, "--rate", "6000"); r.code != -1 {
				t.Fatalf("%s: the run was not killed (exit %d):\n%s", moment, r.code, r.stderr)
			}
			r := j.supervise(t)
			if moment == "before-discard" {
				// The marker was written: the job had finished.
				expectFinishedRefusal(t, r, j.dir, "wordcount")
			} else if r.code != 0 {
				t.Fatalf("%s: resumed run exited %d:\n%s", moment, r.code, r.stderr)
			}
			again := j.run(t, nil, "--from-checkpoint", "latest")
			expectFinishedRefusal(t, again, j.dir, "wordcount")
			lost, dup := lostAndDuplicated(t, filepath.Join(j.dir, "out"), j.want)
			o.add(true, lost, dup)
			if lost != 0 || dup != 0 {
				t.Errorf("%s: lost %d, duplicated %d", moment, lost, dup)
			}
		}
	}
	o.Note = "kill before final commit, before marker, before discard, mid-run; then latest until done, and latest again: exit 2"
	chaosReport(t, "11.1", "finished job: kills around the end, latest after", o)
}

// TestRestoreRefusesAnotherJobsCheckpoint: a second word count of the same
// name over another input neither restores the first one's checkpoint
// (latest) nor starts fresh in its directory; under its own pipeline.name
// it runs exactly, and the first job still resumes exactly.
func TestRestoreRefusesAnotherJobsCheckpoint(t *testing.T) {
	c := killAfterCheckpoints(t, 2, 2)
	text, other := renamedCorpus(1500, "w", "v")
	if err := os.WriteFile(filepath.Join(c.dir, "other.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	b := []string{"run", "wordcount", "--no-web", "--input", "other.txt", "--output", "out-b", "-D", "execution.checkpointing.interval=100ms"}
	in, _ := filepath.Abs(filepath.Join(c.dir, "in"))
	otherAbs, _ := filepath.Abs(filepath.Join(c.dir, "other.txt"))
	r := runWeirIn(t, c.dir, "", append(slices.Clone(b), "--from-checkpoint", "latest")...)
	expectRefusal(t, r, "is another job's: its source \"source\" read file "+in+", and this job's reads file "+otherAbs,
		"run this one under its own name (-D pipeline.name=NAME) without --from-checkpoint")
	r = runWeirIn(t, c.dir, "", b...)
	expectRefusal(t, r, filepath.Join(c.dir, "weir-checkpoints", "wordcount")+" holds checkpoint ", "of another job", "-D pipeline.name=NAME")
	if _, err := os.Stat(filepath.Join(c.dir, "out-b")); err == nil {
		t.Fatal("a refused run wrote output")
	}

	r = runWeirIn(t, c.dir, "", append(slices.Clone(b), "-D", "pipeline.name=other")...)
	if r.code != 0 {
		t.Fatalf("the job under its own name exited %d:\n%s", r.code, r.stderr)
	}
	if got := jobDirEntries(t, c.dir, "other"); !slices.Equal(got, []string{"_finished"}) {
		t.Fatalf("pipeline.name=other: its directory holds %v, want the _finished marker", got)
	}
	checkCommittedExactlyOnce(t, filepath.Join(c.dir, "out-b"), other)
	c.resume(t, "-p", "2", "--from-checkpoint", "latest")
	checkCommittedExactlyOnce(t, filepath.Join(c.dir, "out"), c.want)
}

// TestSameNameJobsRunningTogether: while a word count runs, a second one of
// the same name in the same folder is refused (exit 2) before it writes
// anything, and the first one is not disturbed.
func TestSameNameJobsRunningTogether(t *testing.T) {
	j := newEdgeJob(t, 3000)
	p := start(t, j.dir, append(slices.Clone(j.args), "--rate", "3000")...)
	p.await(t, "a completed checkpoint", func(_, errs []string) bool { return completed(errs) >= 1 })
	r := runEdgeIn(t, j.dir, nil, "run", "wordcount", "--no-web", "--input", "in.txt", "--output", "out-2",
		"-D", "execution.checkpointing.interval=50ms")
	if r.code != 2 {
		t.Fatalf("second job exited %d, want 2:\n%s", r.code, r.stderr)
	}
	if last := lastLine(r.stderr); !strings.Contains(last, "another process is running job wordcount with checkpoints in "+filepath.Join(j.dir, "weir-checkpoints", "wordcount")) ||
		!strings.Contains(last, "-D pipeline.name=NAME") {
		t.Fatalf("refusal %q does not say which job runs where and what to do", last)
	}
	<-p.done
	if p.code != 0 {
		t.Fatalf("first job exited %d:\n%s", p.code, strings.Join(p.err, "\n"))
	}
	checkCommittedExactlyOnce(t, filepath.Join(j.dir, "out"), j.want)
}

// TestChaosSharedCheckpointDir (11.2): each round kills a word count and
// then tries what shared one checkpoint directory before: another input
// under the same name, resumed with latest and started fresh (both
// refused, exit 2), the same under its own pipeline.name (exact), and the
// killed job resumed (exact).
func TestChaosSharedCheckpointDir(t *testing.T) {
	var o chaosOutcome
	for round := 0; round < *chaosRounds; round++ {
		a := newEdgeJob(t, 3000)
		o.Tried++
		p := start(t, a.dir, append(slices.Clone(a.args), "--rate", "3000")...)
		p.await(t, "two completed checkpoints", func(_, errs []string) bool { return completed(errs) >= 2 })
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-p.done
		text, other := renamedCorpus(1000, "common", "other")
		if err := os.WriteFile(filepath.Join(a.dir, "b.txt"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		b := []string{"run", "wordcount", "--no-web", "--input", "b.txt", "--output", "out-b", "-D", "execution.checkpointing.interval=50ms"}
		ok := true
		if r := runEdgeIn(t, a.dir, nil, append(slices.Clone(b), "-s", "latest")...); r.code != 2 || !strings.Contains(r.stderr, "is another job's") {
			t.Errorf("B with latest: exit %d:\n%s", r.code, r.stderr)
			ok = false
		}
		if r := runEdgeIn(t, a.dir, nil, b...); r.code != 2 || !strings.Contains(r.stderr, "of another job") {
			t.Errorf("B fresh: exit %d:\n%s", r.code, r.stderr)
			ok = false
		}
		if r := runEdgeIn(t, a.dir, nil, append(slices.Clone(b), "-D", "pipeline.name=b")...); r.code != 0 {
			t.Fatalf("B under its own name: exit %d:\n%s", r.code, r.stderr)
		}
		lost, dup := lostAndDuplicated(t, filepath.Join(a.dir, "out-b"), other)
		if r := a.supervise(t); r.code != 0 {
			t.Fatalf("A resumed: exit %d:\n%s", r.code, r.stderr)
		}
		la, da := lostAndDuplicated(t, filepath.Join(a.dir, "out"), a.want)
		o.add(ok, lost+la, dup+da)
	}
	o.Note = "same name, other input: latest and fresh refused (exit 2); own pipeline.name exact; first job resumed exact"
	chaosReport(t, "11.2", "two jobs of one name in one checkpoint directory", o)
}

// TestExitCodes holds the documented exit codes (cmd/weir/doc.go) to what
// a supervisor sees: 2 for what running again cannot change, 1 for a
// storage outage, 0 for latest-or-fresh without a checkpoint.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte("a b a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "afile"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	wc := func(extra ...string) []string {
		return append([]string{"run", "wordcount", "--no-web", "--input", "in.txt", "--output", "-",
			"-D", "execution.checkpointing.interval=100ms"}, extra...)
	}
	down, creds := unreachableS3(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
		says []string
	}{
		{"unknown scheme", wc("-D", "execution.checkpointing.dir=ftp://host/ckpt"), 2,
			[]string{`invalid value "ftp://host/ckpt" for option execution.checkpointing.dir: unknown scheme "ftp"`}},
		{"directory is a file", wc("-D", "execution.checkpointing.dir=afile"), 2,
			[]string{"option execution.checkpointing.dir:", "afile is a file, not a directory"}},
		{"latest is a file", wc("-D", "execution.checkpointing.dir=afile", "-s", "latest"), 2,
			[]string{"afile is a file, not a directory"}},
		{"latest without a checkpoint", wc("-s", "latest"), 2,
			[]string{"job wordcount has no checkpoint in weir-checkpoints", "pass --from-checkpoint latest-or-fresh to start fresh"}},
		{"latest-or-fresh without a checkpoint", wc("-s", "latest-or-fresh"), 0, []string{`msg="no checkpoint yet; starting fresh" job=wordcount`}},
		{"storage down at start", wc("-D", "execution.checkpointing.dir="+down, "-D", "restart-strategy.type=none"), 1,
			[]string{"weir: job wordcount failed: checkpoint storage s3://bucket/x:"}},
		{"storage down while restoring", wc("-D", "execution.checkpointing.dir="+down, "-s", "latest", "-D", "restart-strategy.type=none"), 1,
			[]string{"weir: job wordcount failed: "}},
		{"storage down while restoring, retried", wc("-D", "execution.checkpointing.dir="+down, "-s", "latest",
			"-D", "restart-strategy.type=fixed-delay", "-D", "restart-strategy.fixed-delay.attempts=2", "-D", "restart-strategy.fixed-delay.delay=10ms"), 1,
			[]string{"restart strategy fixed-delay (2 attempts, 10ms delay) exhausted after 2 restarts", `msg="cannot read the checkpoint to restore; retrying"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runEdgeIn(t, dir, creds, tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d:\n%s", r.code, tc.code, r.stderr)
			}
			for _, s := range tc.says {
				if !strings.Contains(r.stderr, s) {
					t.Fatalf("stderr does not say %q:\n%s", s, r.stderr)
				}
			}
			if tc.code != 0 && strings.Count(strings.TrimSpace(lastLine(r.stderr)), "\n") > 0 {
				t.Fatalf("refusal is not one line: %q", lastLine(r.stderr))
			}
			if tc.code == 0 && !strings.Contains(r.stdout, "a,2") {
				t.Fatalf("fresh run output %q lacks a,2", r.stdout)
			}
		})
	}
}

// proxy forwards TCP connections to target while up; while down it
// refuses them (accepts and closes at once) and cuts those open: an
// outage of the server behind it.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	up     bool
	conns  map[net.Conn]bool
	wg     sync.WaitGroup
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, up: true, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.setUp(false)
		p.wg.Wait()
	})
	return p
}

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if !p.up {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.mu.Unlock()
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[s] = true, true
		p.mu.Unlock()
		p.wg.Add(2)
		pipe := func(dst, src net.Conn) {
			defer p.wg.Done()
			_, _ = io.Copy(dst, src)
			dst.Close()
			src.Close()
			p.mu.Lock()
			delete(p.conns, dst)
			delete(p.conns, src)
			p.mu.Unlock()
		}
		go pipe(s, c)
		go pipe(c, s)
	}
}

func (p *proxy) setUp(up bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.up = up
	if !up {
		for c := range p.conns {
			c.Close()
		}
	}
}

// s3Through is WEIR_TEST_S3_URL with a prefix of its own and its endpoint
// replaced by the proxy's address; it skips the test without a server.
func s3Through(t *testing.T) (loc string, endpoint string) {
	t.Helper()
	s3 := os.Getenv("WEIR_TEST_S3_URL")
	if s3 == "" || os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		t.Skip("WEIR_TEST_S3_URL is not set: scripts/test.sh starts an S3-compatible server and sets it " +
			"(or run `eval \"$(scripts/s3-server.sh start .testenv)\"`)")
	}
	u, err := url.Parse(s3)
	if err != nil {
		t.Fatalf("WEIR_TEST_S3_URL: %v", err)
	}
	q := u.Query()
	ep, err := url.Parse(q.Get("endpoint"))
	if err != nil || ep.Host == "" {
		t.Skipf("WEIR_TEST_S3_URL %s has no endpoint to put a proxy in front of", s3)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + fmt.Sprintf("/outage-test-%d", time.Now().UnixNano())
	return u.String(), ep.Host
}

// TestChaosS3OutageWhileRestoring (11.6): the checkpoints live in a real
// S3-compatible server behind a proxy. The job is killed; while the server
// is unreachable the resumed job cannot read its checkpoint and retries
// under its restart strategy (logging each try) instead of giving up; when
// the server is back it restores and the output is exact.
func TestChaosS3OutageWhileRestoring(t *testing.T) {
	loc, endpoint := s3Through(t)
	px := newProxy(t, endpoint)
	u, _ := url.Parse(loc)
	q := u.Query()
	q.Set("endpoint", "http://"+px.ln.Addr().String())
	u.RawQuery = q.Encode()
	var o chaosOutcome
	for round := 0; round < *chaosRounds; round++ {
		prefix := *u
		prefix.Path += "/r" + strconv.Itoa(round)
		j := newEdgeJob(t, 3000, "-D", "execution.checkpointing.dir="+prefix.String(),
			"-D", "restart-strategy.type=fixed-delay", "-D", "restart-strategy.fixed-delay.attempts=1000",
			"-D", "restart-strategy.fixed-delay.delay=100ms")
		p := start(t, j.dir, append(slices.Clone(j.args), "--rate", "3000")...)
		p.await(t, "two completed checkpoints", func(_, errs []string) bool { return completed(errs) >= 2 })
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-p.done
		o.Tried++
		px.setUp(false)
		r := start(t, j.dir, append(slices.Clone(j.args), "--from-checkpoint", "latest")...)
		r.await(t, "two retries while the storage is down", func(_, errs []string) bool {
			n := 0
			for _, l := range errs {
				if strings.Contains(l, `msg="cannot read the checkpoint to restore; retrying"`) {
					n++
				}
			}
			return n >= 2
		})
		px.setUp(true)
		<-r.done
		if r.code != 0 {
			t.Fatalf("resumed run exited %d after the outage:\n%s", r.code, strings.Join(r.err, "\n"))
		}
		restoredFrom(t, r.err)
		lost, dup := lostAndDuplicated(t, filepath.Join(j.dir, "out"), j.want)
		o.add(true, lost, dup)
	}
	o.Note = "S3 behind a proxy, down while the killed job resumes with latest, then up"
	chaosReport(t, "11.6", "checkpoint storage outage while restoring", o)
}

// TestChaosExitCodes (11.11) checks, each round, the exit codes a
// supervisor relies on: a transient storage outage at start is 1, a
// damaged checkpoint named directly and an unknown scheme are 2.
func TestChaosExitCodes(t *testing.T) {
	var o chaosOutcome
	down, creds := unreachableS3(t)
	for round := 0; round < *chaosRounds; round++ {
		c := killAfterCheckpoints(t, 1, 2)
		ids := retained(t, filepath.Join(c.dir, "weir-checkpoints", "wordcount"))
		chk := filepath.Join(c.dir, "weir-checkpoints", "wordcount", fmt.Sprintf("chk-%d", ids[len(ids)-1]))
		damage(t, filepath.Join(chk, "_metadata"))
		for _, tc := range []struct {
			args []string
			code int
			says string
		}{
			{[]string{"-s", "latest", "-D", "execution.checkpointing.dir=" + down, "-D", "restart-strategy.type=none"}, 1, "weir: job wordcount failed: "},
			{[]string{"-s", chk}, 2, "is damaged"},
			{[]string{"-D", "execution.checkpointing.dir=gs://b/x"}, 2, `unknown scheme "gs"`},
		} {
			o.Tried++
			r := runEdgeIn(t, c.dir, creds, append(slices.Clone(c.common), tc.args...)...)
			if r.code == tc.code && strings.Contains(lastLine(r.stderr), tc.says) {
				o.Survived++
			} else {
				t.Errorf("%v: exit %d, want %d saying %q:\n%s", tc.args, r.code, tc.code, tc.says, r.stderr)
			}
		}
	}
	o.Note = "storage outage at start 1, damaged checkpoint 2, unknown scheme 2"
	chaosReport(t, "11.11", "exit codes a supervisor acts on", o)
}

// TestKillAfterFinalCommitRepeatsNothing: a job whose sink cannot take
// back what it wrote (print) is killed after its final commit, before it
// is marked finished. Resumed with latest, it restores the final
// checkpoint (taken after every input ended, before the commit), prints
// nothing again, and ends; then latest refuses.
func TestKillAfterFinalCommitRepeatsNothing(t *testing.T) {
	j := newEdgeJob(t, 3000)
	j.args[slices.Index(j.args, "out")] = "-"
	first := j.run(t, []string{"WEIR_TEST_KILL_AT=before-finished-marker"}, "--rate", "6000")
	if first.code != -1 {
		t.Fatalf("the run was not killed (exit %d):\n%s", first.code, first.stderr)
	}
	if n := strings.Count(first.stdout, "\n"); n != 9000 {
		t.Fatalf("the killed run printed %d updates before its final commit, want all 9000", n)
	}
	r := j.run(t, nil, "--from-checkpoint", "latest")
	if r.code != 0 {
		t.Fatalf("resumed run exited %d:\n%s", r.code, r.stderr)
	}
	if r.stdout != "" {
		t.Fatalf("the resumed run printed %d updates again:\n%.300s", strings.Count(r.stdout, "\n"), r.stdout)
	}
	expectFinishedRefusal(t, j.run(t, nil, "--from-checkpoint", "latest"), j.dir, "wordcount")
}
