package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestChaosRestoreUnderLoad (issue 11 item 5): word counts killed early,
// after their first or second completed checkpoint (every 10 ms, so the
// first often comes before a source subtask has returned its first
// batch), several at a time so that they compete for the CPU, then
// resumed with --from-checkpoint latest, again in parallel. Every resumed
// run must exit 0 with each word's counts 1..n committed exactly once.
// Before the fix a checkpoint taken before a source subtask's first batch
// held no position for it; resumed from it, a subtask was given no input
// and ended at once: the run exited 0 with input missing.
func TestChaosRestoreUnderLoad(t *testing.T) {
	const copies = 3 // jobs at a time: the load
	var o chaosOutcome
	for round := range *chaosRounds {
		outcomes := make([]chaosRestoreRound, copies)
		var wg sync.WaitGroup
		for c := range copies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outcomes[c] = chaosRestoreOnce(t, 1+(round+c)%2)
			}()
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		for _, r := range outcomes {
			o.Tried++
			o.Lost += r.lost
			o.Duplicated += r.duplicated
			if r.exact {
				o.Survived++
			} else {
				t.Logf("round %d: %s", round, r.why)
			}
		}
	}
	o.Note = fmt.Sprintf("%d word counts at a time, SIGKILL after checkpoint 1 or 2 of 10 ms", copies)
	chaosReport(t, "11.5", "restore under CPU load", o)
}

type chaosRestoreRound struct {
	exact            bool
	lost, duplicated int
	why              string // what went wrong, when not exact
}

// chaosRestoreOnce runs one word count at parallelism 2 over three files,
// SIGKILLs it after n completed checkpoints, resumes it from the latest
// and compares the committed output with the exact one. It reports, it
// does not fail t, except when the harness itself breaks (errors from
// other goroutines go through t.Error).
func chaosRestoreOnce(t *testing.T, n int) chaosRestoreRound {
	dir := t.TempDir()
	text, want := corpus(4000)
	if err := os.Mkdir(filepath.Join(dir, "in"), 0o755); err != nil {
		t.Error(err)
		return chaosRestoreRound{why: err.Error()}
	}
	for i, part := range strings.SplitAfterN(text, "\n", 3) {
		if err := os.WriteFile(filepath.Join(dir, "in", fmt.Sprintf("in-%d.txt", i)), []byte(part), 0o644); err != nil {
			t.Error(err)
			return chaosRestoreRound{why: err.Error()}
		}
	}
	common := []string{"run", "wordcount", "--no-web", "--input", "in", "--output", "out", "-p", "2",
		"-D", "execution.checkpointing.interval=10ms"}
	k := start(t, dir, append(common, "--rate", "2000")...)
	if !k.waitFor(time.Minute, func(_, errs []string) bool { return completed(errs) >= n }) {
		return chaosRestoreRound{why: fmt.Sprintf("the first run ended (exit %d) before %d checkpoints:\n%s", k.code, n, strings.Join(k.err, "\n"))}
	}
	if err := k.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Error(err)
		return chaosRestoreRound{why: err.Error()}
	}
	<-k.done
	r := start(t, dir, append(common, "--from-checkpoint", "latest")...)
	<-r.done
	if r.code != 0 {
		return chaosRestoreRound{why: fmt.Sprintf("resumed run exited %d:\n%s", r.code, strings.Join(r.err, "\n"))}
	}
	if !strings.Contains(strings.Join(r.err, "\n"), "msg=restoring") {
		return chaosRestoreRound{why: "the resumed run did not restore"}
	}
	lost, dup, err := chaosCountUpdates(filepath.Join(dir, "out"), want)
	if err != nil {
		return chaosRestoreRound{why: err.Error()}
	}
	res := chaosRestoreRound{exact: lost == 0 && dup == 0, lost: lost, duplicated: dup}
	if !res.exact {
		res.why = fmt.Sprintf("killed after %d checkpoints: %d updates lost, %d duplicated", n, lost, dup)
	}
	return res
}

// chaosCountUpdates compares the committed updates ("word,count") under
// dir with the exact ones (each word's counts 1..want[word], once each):
// how many are missing and how many are extra or repeated.
func chaosCountUpdates(dir string, want map[string]int64) (lost, duplicated int, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0, err
	}
	got := map[string]int{}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || !strings.HasPrefix(e.Name(), "part-") {
			continue // hidden: uncommitted or the sink's bookkeeping
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return 0, 0, err
		}
		for l := range strings.Lines(string(b)) {
			if l = strings.TrimSpace(l); l != "" {
				got[l]++
			}
		}
	}
	lost, duplicated = chaosLostDuplicated(got, want)
	return lost, duplicated, nil
}
