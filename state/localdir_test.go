package state

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/internal/filelock"
	"github.com/weirstream/weir/internal/testutil"
)

// TestMakeLocalDirRemovesDeadRunsOnly: the directory of a run whose process
// died (SIGKILL: its lock is free) goes; a live run's (its lock held, here
// by a real child process), an old one without a lock file, and other
// files stay.
func TestMakeLocalDirRemovesDeadRunsOnly(t *testing.T) {
	root := t.TempDir()

	// A dead run: a child process locked its directory, then was killed.
	dead := filepath.Join(root, "weir-job-dead")
	if err := os.MkdirAll(filepath.Join(dead, "db"), 0o755); err != nil {
		t.Fatal(err)
	}
	lockAndHold := func(dir string) *exec.Cmd {
		t.Helper()
		// One process, sleep, holds the lock on its fd 9 as a run would.
		cmd := exec.Command("sh", "-c", `exec 9>"$1" && flock -x 9 && exec sleep 60`, "sh", filepath.Join(dir, LocalDirLock))
		if err := cmd.Start(); err != nil {
			t.Skipf("flock(1) not available: %v", err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	awaitHeld := func(dir string) {
		t.Helper()
		testutil.Await(t, 10*time.Second, func() bool {
			f, err := filelock.TryLock(filepath.Join(dir, LocalDirLock))
			if err != nil {
				return true // the child holds it
			}
			f.Close()
			return false
		}, func() string { return "the child never took the lock on " + dir })
	}
	c := lockAndHold(dead)
	awaitHeld(dead)
	c.Process.Kill()
	c.Wait()

	live := filepath.Join(root, "weir-job-live")
	os.MkdirAll(live, 0o755)
	lockAndHold(live)
	awaitHeld(live)

	old := filepath.Join(root, "weir-job-old") // no lock file
	os.MkdirAll(old, 0o755)
	other := filepath.Join(root, "not-weir")
	os.MkdirAll(other, 0o755)
	os.WriteFile(filepath.Join(other, LocalDirLock), nil, 0o644)

	d, err := MakeLocalDir(root, "job/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the dead run's directory %s is still there (%v)", dead, err)
	}
	for _, keep := range []string{live, old, other, d.Path} {
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("%s was removed: %v", keep, err)
		}
	}
	if !strings.HasPrefix(filepath.Base(d.Path), "weir-job_x-") {
		t.Errorf("run directory %s, want weir-job_x-*", d.Path)
	}
	// Another run now leaves this live one alone, and Close removes it.
	d2, err := MakeLocalDir(root, "job", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.Path); err != nil {
		t.Errorf("a second run removed the first, live one: %v", err)
	}
	d.Close()
	d2.Close()
	if _, err := os.Stat(d.Path); !os.IsNotExist(err) {
		t.Errorf("Close left %s", d.Path)
	}
}
