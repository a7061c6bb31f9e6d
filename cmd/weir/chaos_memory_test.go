package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// memoryCgroup is a cgroup with a memory limit that a test moves a process
// into: v2 (memory.max) or v1 (memory.limit_in_bytes).
type memoryCgroup struct {
	dir   string
	procs string // the file a process writes its pid to, to join
	v2    bool
}

// oomKills is how many processes of the group the kernel killed for memory.
func (c *memoryCgroup) oomKills(t *testing.T) int {
	t.Helper()
	file, key := "memory.oom_control", "oom_kill"
	if c.v2 {
		file = "memory.events"
	}
	b, err := os.ReadFile(filepath.Join(c.dir, file))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == key {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// newMemoryCgroup creates a cgroup limited to limit bytes, under this
// process's own cgroup where it may, else at the hierarchy's root; the
// test removes it at its end. It says why not when the machine does not
// allow it (not root, no writable cgroup file system, no memory
// controller).
func newMemoryCgroup(t *testing.T, limit int64) (*memoryCgroup, string) {
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, err.Error()
	}
	name := fmt.Sprintf("weir-chaos-%d-%d", os.Getpid(), rand.Uint32())
	var tried []string
	attempt := func(base, limitFile string, v2 bool) *memoryCgroup {
		dir := filepath.Join(base, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			tried = append(tried, err.Error())
			return nil
		}
		if err := os.WriteFile(filepath.Join(dir, limitFile), []byte(strconv.FormatInt(limit, 10)), 0o644); err != nil {
			tried = append(tried, err.Error())
			os.Remove(dir)
			return nil
		}
		t.Cleanup(func() { os.Remove(dir) })
		return &memoryCgroup{dir: dir, procs: filepath.Join(dir, "cgroup.procs"), v2: v2}
	}
	for line := range strings.SplitSeq(strings.TrimSpace(string(self)), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		switch {
		case f[0] == "0" && f[1] == "":
			for _, base := range []string{filepath.Join("/sys/fs/cgroup", f[2]), "/sys/fs/cgroup"} {
				if c := attempt(base, "memory.max", true); c != nil {
					return c, ""
				}
			}
		case hasMemoryController(f[1]):
			for _, base := range []string{filepath.Join("/sys/fs/cgroup/memory", f[2]), "/sys/fs/cgroup/memory"} {
				if c := attempt(base, "memory.limit_in_bytes", false); c != nil {
					return c, ""
				}
			}
		}
	}
	return nil, "no memory cgroup could be created: " + strings.Join(tried, "; ")
}

func hasMemoryController(list string) bool {
	for c := range strings.SplitSeq(list, ",") {
		if c == "memory" {
			return true
		}
	}
	return false
}

var plainWeir struct {
	once sync.Once
	bin  string
	err  error
}

// plainWeirBin builds weir without the race detector, whose shadow memory
// (several times the heap, outside the Go runtime's accounting) would
// measure the detector rather than weir.
func plainWeirBin(t *testing.T) string {
	t.Helper()
	plainWeir.once.Do(func() {
		plainWeir.bin = filepath.Join(filepath.Dir(weirBin), "weir-plain")
		if out, err := exec.Command("go", "build", "-o", plainWeir.bin, ".").CombinedOutput(); err != nil {
			plainWeir.err = fmt.Errorf("building weir: %w\n%s", err, out)
		}
	})
	if plainWeir.err != nil {
		t.Fatal(plainWeir.err)
	}
	return plainWeir.bin
}

// TestChaosHeapBudgetUnderCgroupLimit (item 11.9): a word count over 2
// million distinct words, with checkpoints every 200 ms and the file sink,
// holds far more state than fits in a container of 256 MiB. Run in a cgroup
// with that hard memory limit (and no GOMEMLIMIT, as a container is
// usually started), weir must stop with the heap budget's message and exit
// 1, never be killed by the kernel for memory. Before the fix, the budget
// knew no v1 cgroup limit, read only the last collection's live heap and
// left no room for the collector's headroom: 3 runs of 3 were OOM-killed
// (exit 137) at a peak RSS of 262-287 MiB. Where no cgroup can be made,
// the test runs with GOMEMLIMIT=256MiB instead and holds the peak RSS
// under 256 MiB plus 32 MiB (the binary's text and the collector's
// overshoot while marking).
func TestChaosHeapBudgetUnderCgroupLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 256 MiB")
	}
	const limit = 256 << 20
	bin := plainWeirBin(t)
	dir := t.TempDir()
	in, err := os.Create(filepath.Join(dir, "in.txt"))
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(in)
	for i := range 2_000_000 {
		fmt.Fprintf(w, "word%d\n", i)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	in.Close()

	o := chaosOutcome{}
	var notes []string
	for round := range *chaosRounds {
		o.Tried++
		out := filepath.Join(dir, fmt.Sprintf("out-%d", round))
		args := []string{"run", "wordcount", "--no-web", "--input", "in.txt", "--output", out,
			"-D", "execution.checkpointing.interval=200ms",
			"-D", "execution.checkpointing.dir=" + filepath.Join(dir, fmt.Sprintf("ckpt-%d", round)),
			"-D", "restart-strategy.type=fixed-delay", "-D", "restart-strategy.fixed-delay.attempts=3"}
		cg, why := newMemoryCgroup(t, limit)
		var cmd *exec.Cmd
		if cg != nil {
			// The shell joins the cgroup, then becomes weir (same pid).
			cmd = exec.Command("/bin/sh", append([]string{"-c", `echo $$ > "$0" && exec "$@"`, cg.procs, bin}, args...)...)
			cmd.Env = append(os.Environ(), "GOMEMLIMIT=")
		} else {
			if round == 0 {
				t.Logf("%s; asserting the peak RSS under GOMEMLIMIT instead", why)
			}
			cmd = exec.Command(bin, args...)
			cmd.Env = append(os.Environ(), fmt.Sprintf("GOMEMLIMIT=%d", limit))
		}
		cmd.Dir = dir
		var se strings.Builder
		cmd.Stderr = &se
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		rss := watchRSS(cmd.Process.Pid) // the shell's pid is weir's after exec
		err := cmd.Wait()
		peak := rss.Stop()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				code = 128 + int(ws.Signal())
			}
		} else if err != nil {
			t.Fatal(err)
		}
		last := lastLine(se.String())
		ok := code == 1
		for _, want := range []string{"outgrew the heap state backend's memory budget", `operator "Count"`, "state.backend.type: pebble"} {
			if !strings.Contains(last, want) {
				ok = false
				t.Errorf("round %d: the last line does not say %q: %q", round, want, last)
			}
		}
		if code != 1 {
			t.Errorf("round %d: exit %d, want 1 (137: killed for memory); peak RSS %d MiB; stderr ends:\n%s", round, code, peak>>20, chaosTail(se.String(), 2000))
		}
		if strings.Contains(se.String(), "restarting job") {
			ok = false
			t.Errorf("round %d: the job restarted, though a restart restores the same state", round)
		}
		cps := completed(strings.Split(se.String(), "\n"))
		if cg != nil {
			if !strings.Contains(last, "of the cgroup's memory limit of 256.0 MiB") {
				ok = false
				t.Errorf("round %d: the budget does not come from the cgroup's limit: %q", round, last)
			}
			if n := cg.oomKills(t); n != 0 {
				ok = false
				t.Errorf("round %d: the kernel killed %d processes for memory", round, n)
			}
			notes = append(notes, fmt.Sprintf("peak RSS %d MiB in a %d MiB cgroup, %d checkpoints", peak>>20, limit>>20, cps))
		} else {
			if peak > limit+32<<20 {
				ok = false
				t.Errorf("round %d: peak RSS %d MiB, over GOMEMLIMIT %d MiB plus 32 MiB", round, peak>>20, limit>>20)
			}
			notes = append(notes, fmt.Sprintf("peak RSS %d MiB under GOMEMLIMIT=%dMiB (no cgroup), %d checkpoints", peak>>20, limit>>20, cps))
		}
		if ok {
			o.Survived++
		}
	}
	o.Note = "loud refusal, never OOM-killed; " + strings.Join(notes, "; ")
	chaosReport(t, "11.9", "heap budget under a hard memory limit", o)
}

func chaosTail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
