package weir_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestStateLargerThanMemory runs internal/testjobs/bigstate, built without
// the race detector, in a child process with GOMEMLIMIT=32MiB and keyed
// state ten times that (330 000 keys of 1 KiB): on pebble it writes every
// key and reads every one back exactly, with a peak RSS below the state's
// size; on the heap backend it stops at once with the budget's message.
func TestStateLargerThanMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 340 MB of state")
	}
	const n, limit = 330_000, 32 << 20
	bin := filepath.Join(t.TempDir(), "bigstate")
	if out, err := exec.Command("go", "build", "-o", bin, "./internal/testjobs/bigstate").CombinedOutput(); err != nil {
		t.Fatalf("building the test job: %v\n%s", err, out)
	}
	run := func(backend string) (string, string, error) {
		cmd := exec.Command(bin, strconv.Itoa(n), backend, t.TempDir())
		cmd.Env = append(os.Environ(), "GOMEMLIMIT=32MiB")
		var so, se bytes.Buffer
		cmd.Stdout, cmd.Stderr = &so, &se
		err := cmd.Run()
		return so.String(), se.String(), err
	}
	t.Run("pebble", func(t *testing.T) {
		out, errs, err := run("pebble")
		if err != nil {
			t.Fatalf("%v\n%s", err, errs)
		}
		if want := fmt.Sprintf("good=%d bad=0\n", n); !strings.HasPrefix(out, want) {
			t.Fatalf("child printed %q, want %q", out, want)
		}
		_, p, _ := strings.Cut(out, "peak=")
		peak, _ := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		t.Logf("state %d MiB, GOMEMLIMIT %d MiB, peak RSS %d MiB", n*1024>>20, limit>>20, peak>>20)
		if peak <= 0 || peak >= n*1024/2 {
			t.Fatalf("peak RSS %d bytes, not below half the state's %d", peak, n*1024)
		}
	})
	t.Run("heap", func(t *testing.T) {
		_, errs, err := run("hashmap")
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Fatalf("exit %v, want 1 (the heap backend held ten times its memory limit?)\n%s", err, errs)
		}
		for _, want := range []string{"outgrew the heap state backend's memory budget", `operator "Store"`, "70% of GOMEMLIMIT", "state.backend.type: pebble"} {
			if !strings.Contains(errs, want) {
				t.Errorf("stderr does not say %q:\n%s", want, errs)
			}
		}
	})
}
