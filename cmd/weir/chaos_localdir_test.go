package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestChaosStaleLocalDirs (issue 11 item 8): a word count on pebble is
// SIGKILLed after its first checkpoint, each round, so it leaves its local
// state directory behind (weir-wordcount-*/ under
// state.backend.rocksdb.localdir); the resumed run removes the dead runs'
// directories at start, commits every count exactly once, and when it
// ends nothing of any run is left there. Before, 18 kills left 18
// directories.
func TestChaosStaleLocalDirs(t *testing.T) {
	var o chaosOutcome
	for round := range *chaosRounds {
		o.Tried++
		ok, lost, dup, why := chaosStaleLocalDirsOnce(t, 1+round%2)
		if !ok {
			t.Errorf("round %d: %s", round, why)
		}
		o.add(ok, lost, dup)
	}
	o.Note = "SIGKILL of a pebble word count after checkpoint 1 or 2, then latest: dead runs' directories removed, none left at the end"
	chaosReport(t, "11.8", "local state directories of killed runs", o)
}

func chaosStaleLocalDirsOnce(t *testing.T, n int) (ok bool, lost, dup int, why string) {
	dir := t.TempDir()
	local := filepath.Join(dir, "local")
	text, want := corpus(4000)
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	common := []string{"run", "wordcount", "--no-web", "--input", "in.txt", "--output", "out", "-p", "2",
		"-D", "execution.checkpointing.interval=50ms", "-D", "state.backend.type=pebble",
		"-D", "state.backend.rocksdb.localdir=" + local}
	k := start(t, dir, append(common, "--rate", "2000")...)
	if !k.waitFor(time.Minute, func(_, errs []string) bool { return completed(errs) >= n }) {
		return false, 0, 0, fmt.Sprintf("the first run ended (exit %d) before %d checkpoints", k.code, n)
	}
	if err := k.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-k.done
	left, err := filepath.Glob(filepath.Join(local, "weir-*"))
	if err != nil || len(left) != 1 {
		return false, 0, 0, fmt.Sprintf("after the kill: local directories %v (%v), want the killed run's one", left, err)
	}
	r := start(t, dir, append(common, "--from-checkpoint", "latest")...)
	<-r.done
	if r.code != 0 {
		return false, 0, 0, fmt.Sprintf("resumed run exited %d:\n%s", r.code, strings.Join(r.err, "\n"))
	}
	lost, dup, err = chaosCountUpdates(filepath.Join(dir, "out"), want)
	if err != nil {
		return false, 0, 0, err.Error()
	}
	if lost != 0 || dup != 0 {
		return false, lost, dup, fmt.Sprintf("%d updates lost, %d duplicated", lost, dup)
	}
	if _, err := os.Stat(left[0]); !os.IsNotExist(err) {
		return false, 0, 0, fmt.Sprintf("the killed run's directory %s is still there (%v)", left[0], err)
	}
	if rest, _ := filepath.Glob(filepath.Join(local, "weir-*")); len(rest) != 0 {
		return false, 0, 0, fmt.Sprintf("after the resumed run ended: local directories %v, want none", rest)
	}
	return true, 0, 0, ""
}
