package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the test binary if any goroutine is still running once
// every test has finished: whatever a test starts, it must also stop.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// payments is the test's input: blank lines, a negative amount, three
// accounts.
const payments = "alice 10\nbob 5\n\nalice 7\ncarol 1\nbob -2\n"

// want is what the job writes for payments at parallelism 1: every update,
// in input order.
var want = []string{"alice,10", "bob,5", "alice,17", "carol,1", "bob,3"}

// buildUserJob builds the example as a user would, with go build, into a
// directory of the test's own, and returns the binary's path.
func buildUserJob(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "userjob")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type result struct {
	stdout, stderr string
	code           int // -1 when killed by a signal
}

// runIn runs bin in dir with env added to the environment, to its end.
func runIn(t *testing.T, bin, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return result{so.String(), se.String(), cmd.ProcessState.ExitCode()}
}

// lastLine is the last line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// TestUserJob builds examples/userjob and runs it as a separate process,
// as a user would: it gets the command line of `weir run` from package
// cli. A run ends with exit 0, the exact output and the dashboard served; a
// bad -D option, a bad flag and a build error are refused with exit 2 and
// one line naming the program; --help lists the job's flags and the common
// ones.
func TestUserJob(t *testing.T) {
	bin := buildUserJob(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "payments.txt"), []byte(payments), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("Runs", func(t *testing.T) {
		r := runIn(t, bin, dir, nil, "--input", "payments.txt", "-p", "1", "--web", "127.0.0.1:0")
		if r.code != 0 {
			t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
		}
		if got := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n"); !slices.Equal(got, want) {
			t.Errorf("output %q, want %q", got, want)
		}
		if !strings.Contains(r.stderr, `msg="web dashboard" url=http://127.0.0.1:`) {
			t.Errorf("no dashboard served; stderr:\n%s", r.stderr)
		}
	})

	for _, tc := range []struct {
		name string
		args []string
		want string // the whole last line of stderr
	}{
		{"UnknownOption", []string{"--input", "payments.txt", "-D", "no.such.option=1"}, `userjob: unknown option "no.such.option"`},
		{"BadValue", []string{"--input", "payments.txt", "-p", "0"}, "userjob: --parallelism 0: the parallelism must be a positive number"},
		{"UnknownFlag", []string{"--input", "payments.txt", "--bogus"}, "userjob: unknown flag: --bogus"},
		{"BuildError", nil, "userjob: --input is required: a file or a directory of ACCOUNT AMOUNT lines"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runIn(t, bin, dir, nil, tc.args...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2; stderr:\n%s", r.code, r.stderr)
			}
			if got := lastLine(r.stderr); !strings.HasPrefix(got, tc.want) {
				t.Errorf("last line of stderr %q, want %q", got, tc.want)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want none", r.stdout)
			}
		})
	}

	t.Run("Help", func(t *testing.T) {
		r := runIn(t, bin, dir, nil, "--help")
		if r.code != 0 {
			t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
		}
		for _, flag := range []string{"--input", "--output", "-D, --define", "--config", "-p, --parallelism",
			"-s, --from-checkpoint", "--allow-non-restored-state", "--web", "--no-web", "--log-level", "--log-format"} {
			if !strings.Contains(r.stdout, flag) {
				t.Errorf("--help does not list %s:\n%s", flag, r.stdout)
			}
		}
	})

	t.Run("Fails", func(t *testing.T) {
		if err := os.WriteFile(filepath.Join(dir, "bad.txt"), []byte("alice ten\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := runIn(t, bin, dir, nil, "--input", "bad.txt", "--no-web")
		const line = `userjob: job userjob failed: Parse (1/1) failed: line "alice ten": the amount is not a whole number`
		if r.code != 1 || !strings.HasPrefix(lastLine(r.stderr), line) {
			t.Fatalf("exit %d, last line %q; want 1 and %q", r.code, lastLine(r.stderr), line)
		}
	})
}

// TestUserJobResumesAfterKill kills the example with SIGKILL after its
// final checkpoint, before the file sink's final commit
// (WEIR_TEST_KILL_AT, as cmd/weir's chaos tests do), and starts it again
// with --from-checkpoint latest, as a user would: the output is exact, no
// line lost or repeated, and latest is refused once the job finished.
func TestUserJobResumesAfterKill(t *testing.T) {
	bin := buildUserJob(t)
	dir := t.TempDir()
	var in strings.Builder
	totals := map[string]int64{}
	var expected []string
	for i := range 3000 {
		acct := []string{"alice", "bob", "carol", "dave"}[i%4]
		in.WriteString(acct + " " + itoa(int64(i)) + "\n")
		totals[acct] += int64(i)
		expected = append(expected, acct+","+itoa(totals[acct]))
	}
	if err := os.WriteFile(filepath.Join(dir, "payments.txt"), []byte(in.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--input", "payments.txt", "--output", "out", "-p", "2", "--no-web",
		"-D", "execution.checkpointing.interval=50ms"}

	if r := runIn(t, bin, dir, []string{"WEIR_TEST_KILL_AT=before-final-commit"}, args...); r.code != -1 {
		t.Fatalf("the run was not killed (exit %d):\n%s", r.code, r.stderr)
	}
	r := runIn(t, bin, dir, nil, append(args, "--from-checkpoint", "latest")...)
	if r.code != 0 {
		t.Fatalf("resumed run: exit %d; stderr:\n%s", r.code, r.stderr)
	}
	got := readParts(t, filepath.Join(dir, "out"))
	slices.Sort(got)
	slices.Sort(expected)
	if !slices.Equal(got, expected) {
		t.Errorf("after the kill and the resumed run: %d lines, want %d (the same, sorted)", len(got), len(expected))
	}

	again := runIn(t, bin, dir, nil, append(args, "--from-checkpoint", "latest")...)
	if again.code != 2 || !strings.HasPrefix(lastLine(again.stderr), "userjob: ") {
		t.Errorf("latest after the job finished: exit %d, last line %q; want exit 2 and one line", again.code, lastLine(again.stderr))
	}
}

// readParts reads the lines of the finished part files in dir; a part file
// still in progress (.part-...inprogress) would be output not committed,
// and fails the test. Other hidden files are the sink's bookkeeping.
func readParts(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			if strings.HasSuffix(e.Name(), "inprogress") {
				t.Errorf("uncommitted file %s left in the output", e.Name())
			}
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for l := range strings.Lines(string(b)) {
			lines = append(lines, strings.TrimSuffix(l, "\n"))
		}
	}
	return lines
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestUserJobOnACluster runs the example as a cluster, as a user would
// with their own binary: `userjob jobmanager FLAGS` and two `userjob
// taskmanager --jobmanager HOST:PORT` (one through WEIR_ROLE). Every
// process exits 0 and the output holds exactly the updates of the
// one-process run.
func TestUserJobOnACluster(t *testing.T) {
	bin := buildUserJob(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "payments.txt"), []byte(payments), 0o644); err != nil {
		t.Fatal(err)
	}
	jm := exec.Command(bin, "jobmanager", "--input", "payments.txt", "--output", "out", "-p", "2", "--no-web",
		"-D", "jobmanager.rpc.port=0", "-D", "execution.checkpointing.interval=100ms")
	jm.Dir = dir
	jmErr, err := jm.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := jm.Start(); err != nil {
		t.Fatal(err)
	}
	defer jm.Process.Kill()
	// The job manager logs the address it listens on; the rest of its
	// log is kept for the failure message.
	var log strings.Builder
	addr := make(chan string, 1)
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		buf := make([]byte, 4096)
		var line []byte
		for {
			n, err := jmErr.Read(buf)
			for _, b := range buf[:n] {
				line = append(line, b)
				if b != '\n' {
					continue
				}
				log.Write(line)
				if i := strings.Index(string(line), `msg="job manager listening for task managers" address=`); i >= 0 {
					select {
					case addr <- strings.Fields(string(line[i+len(`msg="job manager listening for task managers" address=`):]))[0]:
					default:
					}
				}
				line = line[:0]
			}
			if err != nil {
				return
			}
		}
	}()
	var a string
	select {
	case a = <-addr:
	case <-logged:
		jm.Wait()
		t.Fatalf("the job manager exited before it listened:\n%s", log.String())
	}
	tms := []*exec.Cmd{exec.Command(bin, "taskmanager", "--jobmanager", a), exec.Command(bin, "--jobmanager", a)}
	tms[1].Env = append(os.Environ(), "WEIR_ROLE=taskmanager")
	var tmOut [2]bytes.Buffer
	for i, tm := range tms {
		tm.Dir, tm.Stderr = dir, &tmOut[i]
		if err := tm.Start(); err != nil {
			t.Fatal(err)
		}
		defer tm.Process.Kill()
	}
	err = jm.Wait()
	<-logged
	if err != nil {
		t.Fatalf("job manager: %v\n%s", err, log.String())
	}
	for i, tm := range tms {
		if err := tm.Wait(); err != nil {
			t.Fatalf("task manager %d: %v\n%s", i, err, tmOut[i].String())
		}
	}
	var got []string
	entries, err := os.ReadDir(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || strings.HasPrefix(e.Name(), "_") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, "out", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.Fields(string(b))...)
	}
	slices.Sort(got)
	w := slices.Clone(want)
	slices.Sort(w)
	if !slices.Equal(got, w) {
		t.Fatalf("cluster output %q, want %q\njob manager's log:\n%s", got, w, log.String())
	}
}
