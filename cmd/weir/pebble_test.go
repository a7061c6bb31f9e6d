package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// pebbleArgs run the word count on the pebble backend with incremental
// checkpoints and a small memtable, so that checkpoints hold several SSTs.
var pebbleArgs = []string{"-D", "state.backend.type=pebble", "-D", "execution.checkpointing.incremental=true",
	"-D", "state.backend.rocksdb.writebuffer.size=256kb"}

// TestPebbleKillAndResumeExactlyOnce: SIGKILL of a word count on pebble,
// then a resume from the latest checkpoint, commits every count once.
func TestPebbleKillAndResumeExactlyOnce(t *testing.T) {
	c := killAfterCheckpoints(t, 2, 3, pebbleArgs...)
	defer func() {
		res := c.resume(t, "-p", "2", "--from-checkpoint", "latest")
		if id, _ := restoredFrom(t, res.err); id < c.ids[len(c.ids)-1] {
			t.Fatalf("restored checkpoint %d, older than the last completed %d", id, c.ids[len(c.ids)-1])
		}
		checkCommittedExactlyOnce(t, filepath.Join(c.dir, "out"), c.want)
	}()

	// What the killed run left, as `weir checkpoint inspect --json` shows
	// it (before the resumed run finishes and deletes it): the count's
	// keyed state is pebble files, SSTs under shared/, and the handle's
	// size is the sum of its files'.
	r := runWeir(t, "", "checkpoint", "inspect", "--json", filepath.Join(c.dir, "weir-checkpoints", "wordcount"))
	if r.code != 0 {
		t.Fatalf("inspect: exit %d: %s", r.code, r.stderr)
	}
	var doc struct {
		Operators []struct {
			UID      string `json:"uid"`
			Subtasks []struct {
				Keyed []struct {
					Backend string `json:"backend"`
					Size    int64  `json:"size"`
					Files   []struct {
						Name   string `json:"name"`
						Size   int64  `json:"size"`
						Shared bool   `json:"shared"`
						Path   string `json:"path"`
					} `json:"files"`
				} `json:"keyed"`
			} `json:"subtasks"`
		} `json:"operators"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("inspect --json: %v", err)
	}
	handles := 0
	for _, op := range doc.Operators {
		for _, st := range op.Subtasks {
			for _, k := range st.Keyed {
				handles++
				var sum int64
				shared := 0
				for _, f := range k.Files {
					sum += f.Size
					if f.Shared {
						shared++
						if !strings.HasPrefix(f.Path, "shared/") || !strings.HasSuffix(f.Name, ".sst") {
							t.Errorf("shared file %s at %s", f.Name, f.Path)
						}
					}
				}
				if k.Backend != "pebble" || sum != k.Size || shared == 0 {
					t.Errorf("operator %s: keyed handle %+v", op.UID, k)
				}
			}
		}
	}
	if handles != 2 {
		t.Fatalf("%d keyed handles, want 2 (the count at parallelism 2)", handles)
	}
}

// TestRescaleChain resumes 2 -> 3 -> 1 on both backends, SIGKILLing the
// middle run after it completed checkpoints of its own: every key's count
// goes on from its state exactly once.
func TestRescaleChain(t *testing.T) {
	for _, backend := range []string{"hashmap", "pebble"} {
		t.Run(backend, func(t *testing.T) {
			extra := []string{"-D", "state.backend.type=" + backend}
			if backend == "pebble" {
				extra = pebbleArgs
			}
			c := killAfterCheckpoints(t, 2, 3, extra...)
			mid := start(t, c.dir, append(append([]string{}, c.common...), "-p", "3", "--rate", "2000", "--from-checkpoint", "latest")...)
			mid.await(t, "two checkpoints at parallelism 3", func(_, errs []string) bool { return completed(errs) >= 2 })
			if err := mid.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-mid.done
			if mid.code != -1 {
				t.Fatalf("the run at parallelism 3 ended by itself (exit %d) before it was killed", mid.code)
			}
			res := c.resume(t, "-p", "1", "--from-checkpoint", "latest")
			if id, _ := restoredFrom(t, res.err); id <= c.ids[len(c.ids)-1] {
				t.Fatalf("the last run restored checkpoint %d, not one of the run at parallelism 3 (after %d)", id, c.ids[len(c.ids)-1])
			}
			checkCommittedExactlyOnce(t, filepath.Join(c.dir, "out"), c.want)
		})
	}
}

// TestBackendMismatchRefused: a pebble checkpoint resumed on the heap
// backend (and the reverse) is refused in one line naming both backends
// and the option to set, never restored empty.
func TestBackendMismatchRefused(t *testing.T) {
	c := killAfterCheckpoints(t, 1, 2, pebbleArgs...)
	r := runWeirIn(t, c.dir, "", append(append([]string{}, c.common...), "-D", "state.backend.type=hashmap",
		"-D", "execution.checkpointing.incremental=false", "--from-checkpoint", "latest")...)
	expectRefusal(t, r, "written by the pebble state backend", "this job uses hashmap", "state.backend.type: pebble")

	h := killAfterCheckpoints(t, 1, 2)
	r = runWeirIn(t, h.dir, "", append(append([]string{}, h.common...), append(pebbleArgs, "--from-checkpoint", "latest")...)...)
	expectRefusal(t, r, "written by the heap state backend", "this job uses pebble", "state.backend.type: hashmap")
}

// TestHeapBudgetFailsClearly: a word count over many distinct words with a
// small GOMEMLIMIT fails at once (no restarts) with the state's size and
// the advice, instead of dying in the garbage collector; on pebble the
// same run finishes.
func TestHeapBudgetFailsClearly(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := range 600_000 {
		fmt.Fprintf(&b, "word%d\n", i)
	}
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(weirBin, "run", "wordcount", "--no-web", "--input", "in.txt", "--output", "out",
		"-D", "restart-strategy.type=fixed-delay", "-D", "restart-strategy.fixed-delay.attempts=3")
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), "GOMEMLIMIT=24MiB")
	var se bytes.Buffer
	cmd.Stderr = &se
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1; stderr:\n%s", err, se.String())
	}
	last := lastLine(se.String())
	for _, want := range []string{"outgrew the heap state backend's memory budget", `operator "Count"`, "70% of GOMEMLIMIT", "keys", "state.backend.type: pebble"} {
		if !strings.Contains(last, want) {
			t.Errorf("last line %q does not say %q", last, want)
		}
	}
	if strings.Contains(se.String(), "restarting job") {
		t.Errorf("the job restarted, though a restart would restore the same state:\n%s", se.String())
	}
}
