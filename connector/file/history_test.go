package file

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/internal/testutil"
)

// attempt is one attempt of a job writing to a file sink: its writers, and
// the committables of each checkpoint it took.
type attempt struct {
	ws   []connector.SinkWriter[string]
	cps  map[int64][][]byte
	sink *Sink
}

// startAttempt recovers a new Sink on dir (a new process) from the
// committables of checkpoint restored (nil and 0: a fresh start) and
// creates p writers.
func startAttempt(t *testing.T, dir string, p int, restored int64, committables [][]byte, log *slog.Logger) *attempt {
	t.Helper()
	s := NewSink(dir)
	if err := s.RecoverFrom(context.Background(), connector.RestoreInfo{Checkpoint: restored, Newest: restored, Logger: log}, committables); err != nil {
		t.Fatalf("RecoverFrom(%d): %v", restored, err)
	}
	a := &attempt{cps: map[int64][][]byte{}, sink: s}
	for i := range p {
		a.ws = append(a.ws, newWriter(t, s, i, p))
	}
	return a
}

// checkpoint writes recs[i] to writer i, then takes and completes
// checkpoint id.
func (a *attempt) checkpoint(t *testing.T, id int64, recs ...string) {
	t.Helper()
	for i, r := range recs {
		if r != "" {
			write(t, a.ws[i], r)
		}
	}
	for _, w := range a.ws {
		flush(t, w, false)
		a.cps[id] = append(a.cps[id], prepare(t, w, id)...)
	}
	for _, w := range a.ws {
		notify(t, w, id)
	}
}

func (a *attempt) close(t *testing.T) {
	t.Helper()
	for _, w := range a.ws {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func checkPublished(t *testing.T, dir, what string, want ...string) {
	t.Helper()
	if got := publishedLines(t, dir); !reflect.DeepEqual(got, sorted(want)) {
		t.Fatalf("%s: published %q, want %q", what, got, sorted(want))
	}
}

// TestSinkRecoverTakesBackNewerCheckpoints restores older and newer
// checkpoints in turn: the published output is always exactly what the
// restored checkpoint committed.
func TestSinkRecoverTakesBackNewerCheckpoints(t *testing.T) {
	testutil.CheckGoroutines(t)
	dir := t.TempDir()
	// Output of an earlier, unrelated job in the directory stays.
	writeFiles(t, dir, map[string]string{"part-0-0": "unrelated\n"})
	var logBuf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logBuf, nil))

	a := startAttempt(t, dir, 2, 0, nil, log)
	a.checkpoint(t, 1, "a0", "a1")
	a.checkpoint(t, 2, "b0", "")
	a.checkpoint(t, 3, "c0", "c1")
	a.close(t)
	checkPublished(t, dir, "first run", "unrelated", "a0", "a1", "b0", "c0", "c1")

	// Checkpoints 2 and 3 are damaged: the next run falls back to 1.
	b := startAttempt(t, dir, 2, 1, a.cps[1], log)
	checkPublished(t, dir, "restored 1", "unrelated", "a0", "a1")
	if !strings.Contains(logBuf.String(), `msg="file sink took back output of checkpoints newer than the one restored"`) ||
		!strings.Contains(logBuf.String(), `files=3 committed_by="checkpoints 2, 3"`) {
		t.Errorf("log does not say what was taken back:\n%s", logBuf.String())
	}
	b.checkpoint(t, 4, "d0", "d1")
	b.close(t)
	checkPublished(t, dir, "after 4", "unrelated", "a0", "a1", "d0", "d1")

	// A user restores checkpoint 3 by its path: 2 and 3's output comes
	// back, 4's (a branch 3 does not descend from) goes.
	c := startAttempt(t, dir, 1, 3, a.cps[3], log)
	checkPublished(t, dir, "restored 3", "unrelated", "a0", "a1", "b0", "c0", "c1")
	c.checkpoint(t, 5, "e0")
	c.close(t)
	checkPublished(t, dir, "after 5", "unrelated", "a0", "a1", "b0", "c0", "c1", "e0")

	// Back to 4: its ancestry is 1 of the first run.
	d := startAttempt(t, dir, 2, 4, b.cps[4], log)
	checkPublished(t, dir, "restored 4", "unrelated", "a0", "a1", "d0", "d1")
	d.close(t)

	// Restoring is idempotent, and so is a restore interrupted halfway:
	// here a restore of 5 had republished 5's file (part-0-5) and one of
	// 3's (part-0-3), not yet 2's, nor taken back 4's.
	for _, name := range []string{"part-0-5", "part-0-3"} {
		if err := os.Rename(filepath.Join(dir, "."+name+retractedSuffix), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	e := startAttempt(t, dir, 1, 5, c.cps[5], log)
	e.close(t)
	checkPublished(t, dir, "restored 5", "unrelated", "a0", "a1", "b0", "c0", "c1", "e0")
	f := startAttempt(t, dir, 1, 5, c.cps[5], log)
	f.close(t)
	checkPublished(t, dir, "restored 5 again", "unrelated", "a0", "a1", "b0", "c0", "c1", "e0")

	// A fresh start deletes the retracted files of every lineage and
	// leaves the published ones.
	g := startAttempt(t, dir, 1, 0, nil, log)
	g.close(t)
	for name := range listing(t, dir) {
		if strings.HasSuffix(name, retractedSuffix) {
			t.Errorf("retracted file %s left after a fresh start", name)
		}
	}
	checkPublished(t, dir, "fresh start", "unrelated", "a0", "a1", "b0", "c0", "c1", "e0")
}

// TestSinkRecoverLimitsPerSubtask: a writer that has finished (its final
// files prepared) and one still writing give the same checkpoint different
// limits; a restore keeps the first's final files and takes back the
// second's newer ones.
func TestSinkRecoverLimitsPerSubtask(t *testing.T) {
	dir := t.TempDir()
	a := startAttempt(t, dir, 2, 0, nil, nil)
	write(t, a.ws[0], "end0")
	flush(t, a.ws[0], true)
	prepare(t, a.ws[0], connector.FinalCheckpoint)
	write(t, a.ws[1], "x1")
	flush(t, a.ws[1], false)
	cp := append(prepare(t, a.ws[0], 7), prepare(t, a.ws[1], 7)...)
	notify(t, a.ws[1], 7)
	write(t, a.ws[1], "y1")
	flush(t, a.ws[1], false)
	prepare(t, a.ws[1], 8)
	notify(t, a.ws[1], 8)
	a.close(t)
	notify(t, a.ws[0], connector.FinalCheckpoint)
	checkPublished(t, dir, "first run", "end0", "x1", "y1")
	b := startAttempt(t, dir, 2, 7, cp, nil)
	b.close(t)
	checkPublished(t, dir, "restored 7", "end0", "x1")
}

// TestSinkCommitLogTornLine: a crash in the middle of an append leaves an
// unterminated line; the next writer ends it before appending, and the
// entries after it still count.
func TestSinkCommitLogTornLine(t *testing.T) {
	dir := t.TempDir()
	a := startAttempt(t, dir, 1, 0, nil, nil)
	a.checkpoint(t, 1, "a")
	a.close(t)
	f, err := os.OpenFile(filepath.Join(dir, CommitLogName(0)), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("0011223344556677 00112233"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b := startAttempt(t, dir, 1, 1, a.cps[1], nil)
	b.checkpoint(t, 2, "b")
	b.close(t)
	c := startAttempt(t, dir, 1, 1, a.cps[1], nil)
	c.close(t)
	checkPublished(t, dir, "restored 1", "a")
}

func TestIsBookkeeping(t *testing.T) {
	for name, want := range map[string]bool{
		".part-0.commits": true, ".part-12.commits": true, ".part-3-7.retracted": true,
		".part-x.commits": false, ".part-0-1.pending": false, ".part-0-1.inprogress": false,
		"part-0-1": false, ".other": false, "part-0.commits": false,
	} {
		if got := IsBookkeeping(name); got != want {
			t.Errorf("IsBookkeeping(%q) = %v, want %v", name, got, want)
		}
	}
}
