package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// dirListing lists the names in dir (a killed run's hidden leftovers
// included) with their sizes.
func dirListing(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = fi.Size()
	}
	return out
}

// completedIDs lists the checkpoint IDs a run logged as completed.
func completedIDs(errs []string) []int {
	var ids []int
	for _, l := range errs {
		if m := completedRE.FindStringSubmatch(l); m != nil {
			id, _ := strconv.Atoi(m[1])
			ids = append(ids, id)
		}
	}
	return ids
}

// TestChaosFallback (item 11.3) kills a file-sink word count after some
// checkpoints, then in turn damages the newest checkpoint's metadata,
// damages the two newest, or leaves them intact and resumes an older one
// by its path; the resumed run must restore the newest intact (or the
// named) checkpoint, take no ID it passed over, and end with the exact
// output: the file sink takes back what the newer checkpoints committed.
// A last round per chaos round sets execution.checkpointing.fallback:
// refuse, which must refuse with one line and exit 2, leave the output
// alone, and then resume exactly from the checkpoint the line names.
func TestChaosFallback(t *testing.T) {
	var o chaosOutcome
	var tookBack int
	for round := range *chaosRounds * 3 {
		variant := round % 3
		o.Tried++
		c := killAfterCheckpoints(t, 2, 4, "-D", "execution.checkpointing.num-retained=3")
		jobDir := filepath.Join(c.dir, "weir-checkpoints", "wordcount")
		ids := retained(t, jobDir)
		if len(ids) < 3 {
			t.Fatalf("round %d: retained checkpoints %v, want three", round, ids)
		}
		newest := ids[len(ids)-1]
		args := []string{"-p", "2", "--from-checkpoint", "latest"}
		want := ids[len(ids)-2] // the checkpoint the resumed run must restore
		switch variant {
		case 0:
			damage(t, filepath.Join(jobDir, fmt.Sprintf("chk-%d", newest), "_metadata"))
		case 1:
			damage(t, filepath.Join(jobDir, fmt.Sprintf("chk-%d", newest), "_metadata"))
			damage(t, filepath.Join(jobDir, fmt.Sprintf("chk-%d", ids[len(ids)-2]), "_metadata"))
			want = ids[len(ids)-3]
		case 2:
			want = ids[len(ids)-3]
			args = []string{"-p", "2", "--from-checkpoint", filepath.Join(jobDir, fmt.Sprintf("chk-%d", want))}
		}
		r := start(t, c.dir, append(append([]string{}, c.common...), args...)...)
		<-r.done
		ok := r.code == 0
		if !ok {
			t.Errorf("round %d: resumed run exited %d:\n%s", round, r.code, strings.Join(r.err, "\n"))
		}
		if id, _ := restoredFrom(t, r.err); id != want {
			t.Errorf("round %d: restored checkpoint %d, want %d", round, id, want)
			ok = false
		}
		for _, id := range completedIDs(r.err) {
			if id <= newest {
				t.Errorf("round %d: the resumed run took checkpoint ID %d again (the killed run reached %d)", round, id, newest)
				ok = false
			}
		}
		if strings.Contains(strings.Join(r.err, "\n"), "file sink took back") {
			tookBack++
		}
		lost, dup := lostAndDuplicated(t, filepath.Join(c.dir, "out"), c.want)
		o.add(ok, lost, dup)
	}

	for round := range *chaosRounds {
		o.Tried++
		c := killAfterCheckpoints(t, 2, 3, "-D", "execution.checkpointing.num-retained=2")
		jobDir := filepath.Join(c.dir, "weir-checkpoints", "wordcount")
		ids := retained(t, jobDir)
		if len(ids) < 2 {
			t.Fatalf("refuse round %d: retained checkpoints %v, want two", round, ids)
		}
		older, newest := ids[len(ids)-2], ids[len(ids)-1]
		damage(t, filepath.Join(jobDir, fmt.Sprintf("chk-%d", newest), "_metadata"))
		before := dirListing(t, filepath.Join(c.dir, "out"))
		r := runWeirIn(t, c.dir, "", append(append([]string{}, c.common...),
			"-p", "2", "--from-checkpoint", "latest", "-D", "execution.checkpointing.fallback=refuse")...)
		olderPath := filepath.Join(jobDir, fmt.Sprintf("chk-%d", older))
		ok := r.code == 2
		last := lastLine(r.stderr)
		for _, says := range []string{
			"weir: cannot restore: ",
			fmt.Sprintf("checkpoint %d is damaged", newest),
			"execution.checkpointing.fallback is refuse, so job wordcount does not fall back to checkpoint " + strconv.Itoa(older),
			"resume from " + olderPath + " by its path, or set execution.checkpointing.fallback: allow",
		} {
			if !strings.Contains(last, says) {
				t.Errorf("refuse round %d: exit %d, last line %q does not say %q", round, r.code, last, says)
				ok = false
			}
		}
		if strings.Count(strings.TrimSpace(r.stderr), "\n") > 1 {
			t.Errorf("refuse round %d: more than the refusal on stderr:\n%s", round, r.stderr)
		}
		if after := dirListing(t, filepath.Join(c.dir, "out")); !reflect.DeepEqual(after, before) {
			t.Errorf("refuse round %d: the refusal changed the output directory: %v, before %v", round, after, before)
			ok = false
		}
		// The advice works: resuming the older checkpoint by its path is exact.
		res := c.resume(t, "-p", "2", "--from-checkpoint", olderPath, "-D", "execution.checkpointing.fallback=refuse")
		if id, _ := restoredFrom(t, res.err); id != older {
			t.Errorf("refuse round %d: restored %d, want %d", round, id, older)
			ok = false
		}
		lost, dup := lostAndDuplicated(t, filepath.Join(c.dir, "out"), c.want)
		o.add(ok, lost, dup)
	}
	chaosReport(t, "11.3", "fallback past damaged or older checkpoints", chaosOutcome{
		Tried: o.Tried, Survived: o.Survived, Lost: o.Lost, Duplicated: o.Duplicated,
		Note: fmt.Sprintf("file sink took back newer output in %d of %d resumes; %d refused with fallback: refuse", tookBack, *chaosRounds*3, *chaosRounds),
	})
}

// TestFallbackPrintSinkIsLoud: with a sink that cannot take back (print),
// falling back past a damaged checkpoint runs the job to its end, logs an
// error naming the sink and the checkpoints whose output may repeat, and
// exits 3 with one line saying so.
func TestFallbackPrintSinkIsLoud(t *testing.T) {
	c := killAfterCheckpoints(t, 1, 3, "--output", "-", "-D", "execution.checkpointing.num-retained=2")
	jobDir := filepath.Join(c.dir, "weir-checkpoints", "wordcount")
	ids := retained(t, jobDir)
	if len(ids) < 2 {
		t.Fatalf("retained checkpoints %v, want two", ids)
	}
	older, newest := ids[len(ids)-2], ids[len(ids)-1]
	damage(t, filepath.Join(jobDir, fmt.Sprintf("chk-%d", newest), "_metadata"))
	r := runWeirIn(t, c.dir, "", append(append([]string{}, c.common...), "-p", "1", "--from-checkpoint", "latest")...)
	if r.code != 3 {
		t.Fatalf("exit %d, want 3; stderr:\n%s", r.code, r.stderr)
	}
	span := fmt.Sprintf("checkpoint %d", newest)
	if newest > older+1 {
		span = fmt.Sprintf("checkpoints %d..%d", older+1, newest)
	}
	want := fmt.Sprintf("weir: job wordcount finished, but output may repeat: it restored checkpoint %d (newer checkpoints are damaged), and sink Print cannot take back what %s committed, so that output may appear twice", older, span)
	if last := lastLine(r.stderr); last != want {
		t.Errorf("last line\n%q, want\n%q", last, want)
	}
	if !strings.Contains(r.stderr, `level=ERROR msg="restoring an older checkpoint than the newest: output may repeat"`) ||
		!strings.Contains(r.stderr, "sinks=Print may_repeat=") {
		t.Errorf("no ERROR line names the sink and the checkpoints:\n%s", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(c.dir, "out")); err == nil {
		t.Errorf("a print job wrote %s", filepath.Join(c.dir, "out"))
	}
}
