package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/weirstream/weir/checkpoint/storage"
	"github.com/weirstream/weir/connector/file"
)

// lastLine is the last line of stderr.
func lastLine(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	return lines[len(lines)-1]
}

// expectRefusal checks a run that refuses to start: exit 2, a one-line
// "weir: cannot restore: ..." holding every one of says, no stack dump.
func expectRefusal(t *testing.T, r result, says ...string) {
	t.Helper()
	if r.code != 2 {
		t.Fatalf("exit %d, want 2; stderr:\n%s", r.code, r.stderr)
	}
	last := lastLine(r.stderr)
	if !strings.HasPrefix(last, "weir: cannot restore: ") {
		t.Fatalf("last stderr line %q is not a restore refusal", last)
	}
	for _, s := range says {
		if !strings.Contains(last, s) {
			t.Fatalf("last stderr line %q does not say %q", last, s)
		}
	}
	if strings.Contains(r.stderr, "goroutine ") {
		t.Fatalf("stack dump on stderr: %s", r.stderr)
	}
}

// checkpointRun is a word count over dir/in (three files of a known corpus)
// that was SIGKILLed after some checkpoints completed.
type checkpointRun struct {
	dir    string
	common []string // the arguments of both runs, without -p
	want   map[string]int64
	ids    []int    // the checkpoints the killed run logged as completed
	stderr []string // the killed run's log
}

// killAfterCheckpoints starts the word count at parallelism p (throttled so
// it cannot finish first), waits for n completed checkpoints and SIGKILLs it.
func killAfterCheckpoints(t *testing.T, p, n int, extra ...string) *checkpointRun {
	t.Helper()
	dir := t.TempDir()
	text, want := corpus(4000)
	if err := os.Mkdir(filepath.Join(dir, "in"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i, part := range strings.SplitAfterN(text, "\n", 3) {
		if err := os.WriteFile(filepath.Join(dir, "in", fmt.Sprintf("in-%d.txt", i)), []byte(part), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	common := append([]string{"run", "wordcount", "--no-web", "--input", "in", "--output", "out",
		"-D", "execution.checkpointing.interval=100ms"}, extra...)
	k := start(t, dir, append(common, "-p", strconv.Itoa(p), "--rate", "2000")...)
	k.await(t, fmt.Sprintf("%d completed checkpoints", n), func(_, errs []string) bool { return completed(errs) >= n })
	if err := k.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-k.done
	if k.code != -1 {
		t.Fatalf("the first run ended by itself (exit %d) before it was killed", k.code)
	}
	run := &checkpointRun{dir: dir, common: common, want: want, stderr: k.err}
	for _, l := range k.err {
		if m := completedRE.FindStringSubmatch(l); m != nil {
			id, _ := strconv.Atoi(m[1])
			run.ids = append(run.ids, id)
		}
	}
	return run
}

// resume runs the word count again with args added, to its end.
func (c *checkpointRun) resume(t *testing.T, args ...string) *proc {
	t.Helper()
	r := start(t, c.dir, append(append([]string{}, c.common...), args...)...)
	<-r.done
	if r.code != 0 {
		t.Fatalf("resumed run exited %d:\n%s", r.code, strings.Join(r.err, "\n"))
	}
	return r
}

// committedParts reads the part files under dir, by name; an uncommitted
// (hidden) file fails the test.
func committedParts(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string]string{}
	for _, e := range entries {
		if file.IsBookkeeping(e.Name()) { // commit logs, taken-back part files
			continue
		}
		if strings.HasPrefix(e.Name(), ".") {
			t.Fatalf("uncommitted file %s left behind", e.Name())
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		parts[e.Name()] = string(b)
	}
	return parts
}

// checkCommittedExactlyOnce checks that the committed part files under dir
// hold every word's counts 1..n once each, as a failure-free run writes
// them, and that no uncommitted file is left.
func checkCommittedExactlyOnce(t *testing.T, dir string, want map[string]int64) {
	t.Helper()
	var lines []string
	for _, text := range committedParts(t, dir) {
		if s := strings.TrimSpace(text); s != "" {
			lines = append(lines, strings.Split(s, "\n")...)
		}
	}
	var expected []string
	for w, n := range want {
		for i := int64(1); i <= n; i++ {
			expected = append(expected, fmt.Sprintf("%s,%d", w, i))
		}
	}
	sort.Strings(lines)
	sort.Strings(expected)
	if len(lines) != len(expected) {
		t.Fatalf("%d committed updates, want %d", len(lines), len(expected))
	}
	for i := range lines {
		if lines[i] != expected[i] {
			t.Fatalf("committed output differs at %d: %q, want %q", i, lines[i], expected[i])
		}
	}
}

var restoringRE = regexp.MustCompile(`msg=restoring job=wordcount checkpoint=(\d+) path=(\S+)`)

// restoredFrom is the checkpoint id and path a run logged it restored.
func restoredFrom(t *testing.T, errs []string) (int, string) {
	t.Helper()
	for _, l := range errs {
		if m := restoringRE.FindStringSubmatch(l); m != nil {
			id, _ := strconv.Atoi(m[1])
			return id, m[2]
		}
	}
	t.Fatalf("the run did not restore:\n%s", strings.Join(errs, "\n"))
	return 0, ""
}

// retained lists the ids of the chk-<n> directories under jobDir that have
// _metadata, ascending.
func retained(t *testing.T, jobDir string) []int {
	t.Helper()
	ms, err := filepath.Glob(filepath.Join(jobDir, "chk-*", "_metadata"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	for _, m := range ms {
		id, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(filepath.Dir(m)), "chk-"))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

// damage flips a byte in the middle of a file.
func damage(t *testing.T, file string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRestoreRefusesPathsThatAreNoCheckpoint(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(in, []byte("a b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	run := func(args ...string) result {
		return runWeir(t, "", append([]string{"run", "wordcount", "--input", in, "--output", "discard"}, args...)...)
	}
	t.Run("missing", func(t *testing.T) {
		expectRefusal(t, run("--from-checkpoint", "/no/such/dir"),
			"checkpoint path /no/such/dir does not exist")
	})
	t.Run("empty directory", func(t *testing.T) {
		expectRefusal(t, run("-s", empty), empty+" is not a checkpoint: it holds no chk-<n> directories")
	})
	t.Run("file", func(t *testing.T) {
		expectRefusal(t, run("--from-checkpoint", in), in+" is not a checkpoint: it is a file")
	})
	t.Run("latest without checkpoints", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "ckpt")
		want := "cannot restore: --from-checkpoint latest: job wordcount has no checkpoint in " + dir +
			" (execution.checkpointing.dir): " + dir + "/wordcount does not exist"
		expectRefusal(t, run("--from-checkpoint", "latest", "-D", "execution.checkpointing.dir="+dir), want)
		// A job directory without checkpoints is no better.
		if err := os.MkdirAll(filepath.Join(dir, "wordcount"), 0o755); err != nil {
			t.Fatal(err)
		}
		expectRefusal(t, run("--from-checkpoint", "latest", "-D", "execution.checkpointing.dir="+dir),
			dir+"/wordcount holds no chk-<n> directories")
	})
}

// TestRestoreDamagedCheckpoint damages the newest of two retained
// checkpoints: named directly it is refused; latest skips it, restores
// the one before, the file sink takes back what the damaged one had
// committed, so the output is exactly once, and the new checkpoints take
// IDs above the damaged one's.
func TestRestoreDamagedCheckpoint(t *testing.T) {
	c := killAfterCheckpoints(t, 2, 3, "-D", "execution.checkpointing.num-retained=2")
	jobDir := filepath.Join(c.dir, "weir-checkpoints", "wordcount")
	ids := retained(t, jobDir)
	// Two, or three when the kill came between completing one and
	// discarding the oldest.
	if len(ids) < 2 {
		t.Fatalf("retained checkpoints %v, want two", ids)
	}
	older, newest := ids[len(ids)-2], ids[len(ids)-1]
	chk := filepath.Join(jobDir, fmt.Sprintf("chk-%d", newest))
	damage(t, filepath.Join(chk, "_metadata"))

	r := runWeir(t, "", "run", "wordcount", "--input", filepath.Join(c.dir, "in"), "--output", "discard", "--from-checkpoint", chk)
	expectRefusal(t, r, "checkpoint "+chk+" is damaged: "+fmt.Sprintf("chk-%d/_metadata", newest))

	res := c.resume(t, "-p", "2", "--from-checkpoint", "latest")
	log := strings.Join(res.err, "\n")
	if !strings.Contains(log, `msg="skipping damaged checkpoint"`) || !strings.Contains(log, fmt.Sprintf("checkpoint %d is damaged", newest)) {
		t.Fatalf("no line says checkpoint %d was skipped as damaged:\n%s", newest, log)
	}
	if id, _ := restoredFrom(t, res.err); id != older {
		t.Fatalf("restored checkpoint %d, want %d (the newest intact one)", id, older)
	}
	if !strings.Contains(log, `msg="file sink took back output of checkpoints newer than the one restored"`) {
		// The kill came before checkpoint newest's commit published.
		t.Logf("the file sink took nothing back: checkpoint %d had not published its output", newest)
	}
	for _, l := range res.err {
		if m := completedRE.FindStringSubmatch(l); m != nil {
			if id, _ := strconv.Atoi(m[1]); id <= newest {
				t.Errorf("the resumed run completed checkpoint %d, reusing an ID up to the damaged %d's: %s", id, newest, l)
			}
		}
		if strings.Contains(l, "already exists") || strings.Contains(l, "job failed; restarting") {
			t.Errorf("the resumed run failed over: %s", l)
		}
	}
	checkCommittedExactlyOnce(t, filepath.Join(c.dir, "out"), c.want)
}

// TestRescaleResume resumes a checkpoint taken at parallelism 2 at 3 and at
// 1: keyed state moves by key group, file positions to the new readers.
func TestRescaleResume(t *testing.T) {
	for _, p := range []int{3, 1} {
		t.Run(fmt.Sprintf("2to%d", p), func(t *testing.T) {
			c := killAfterCheckpoints(t, 2, 3)
			res := c.resume(t, "-p", strconv.Itoa(p), "--from-checkpoint", "latest")
			if id, _ := restoredFrom(t, res.err); id < c.ids[len(c.ids)-1] {
				t.Fatalf("restored checkpoint %d, older than the last completed %d", id, c.ids[len(c.ids)-1])
			}
			checkCommittedExactlyOnce(t, filepath.Join(c.dir, "out"), c.want)
		})
	}
}

// TestS3KillAndResume keeps the checkpoints in a real S3-compatible server.
func TestS3KillAndResume(t *testing.T) {
	loc := os.Getenv("WEIR_TEST_S3_URL")
	if loc == "" {
		t.Skip("WEIR_TEST_S3_URL is not set: scripts/test.sh starts an S3-compatible server and sets it " +
			"(or run `eval \"$(scripts/s3-server.sh start .testenv)\"`)")
	}
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" || os.Getenv("AWS_SECRET_ACCESS_KEY") == "" {
		t.Skip("WEIR_TEST_S3_URL is set but AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not")
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("WEIR_TEST_S3_URL: %v", err)
	}
	// A prefix of its own, so runs do not see each other's checkpoints.
	u.Path = strings.TrimSuffix(u.Path, "/") + fmt.Sprintf("/restore-test-%d", time.Now().UnixNano())
	prefix := "s3://" + u.Host + u.Path + "/wordcount/chk-"
	t.Cleanup(func() {
		// Delete what the runs retained.
		ctx := context.Background()
		st, err := storage.Open(ctx, u.String())
		if err != nil {
			t.Logf("cleanup: %v", err)
			return
		}
		defer st.Close()
		infos, err := st.List(ctx, "wordcount")
		if err != nil {
			t.Logf("cleanup: %v", err)
		}
		for _, in := range infos {
			if err := st.Discard(ctx, "wordcount", in.ID); err != nil {
				t.Logf("cleanup: %v", err)
			}
		}
	})
	for _, backend := range []string{"hashmap", "pebble"} {
		t.Run(backend, func(t *testing.T) {
			extra := []string{"-D", "state.backend.type=hashmap"}
			if backend == "pebble" {
				extra = pebbleArgs
			}
			c := killAfterCheckpoints(t, 2, 3, append([]string{"-D", "execution.checkpointing.dir=" + u.String()}, extra...)...)
			// What the killed run left references shared files (pebble);
			// the resumed run, once finished, deletes every checkpoint and
			// every shared file.
			if backend == "pebble" {
				st, err := storage.Open(context.Background(), u.String())
				if err != nil {
					t.Fatal(err)
				}
				sh, err := st.SharedFiles(context.Background(), "wordcount")
				st.Close()
				if err != nil || len(sh.Referenced) == 0 {
					t.Fatalf("the killed run's checkpoints reference no shared file (%v)", err)
				}
			}
			res := c.resume(t, "-p", "2", "--from-checkpoint", "latest")
			id, path := restoredFrom(t, res.err)
			if path != prefix+strconv.Itoa(id) {
				t.Fatalf("restored from %s, want %s%d", path, prefix, id)
			}
			checkCommittedExactlyOnce(t, filepath.Join(c.dir, "out"), c.want)
			checkSharedObjects(t, u.String(), "wordcount", false)
		})
	}
}

// checkSharedObjects checks that the objects under the job's shared/ in
// the storage at loc are exactly those its checkpoints reference, and that
// there are some when incremental is set.
func checkSharedObjects(t *testing.T, loc, job string, incremental bool) {
	t.Helper()
	ctx := context.Background()
	st, err := storage.Open(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.SharedFiles(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	if incremental && len(u.Referenced) == 0 {
		t.Fatal("no retained checkpoint references a shared file")
	}
	for _, p := range u.Problems() {
		t.Error(p)
	}
}
