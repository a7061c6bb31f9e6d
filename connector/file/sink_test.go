package file

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/internal/testutil"
)

// listing returns name → content of the files in dir, except the commit
// logs (commitLogs reads those).
func listing(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), commitLogSuffix) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

func newWriter(t *testing.T, s *Sink, subtask, parallelism int) connector.SinkWriter[string] {
	t.Helper()
	w, err := s.CreateWriter(connector.SinkContext{Subtask: subtask, Parallelism: parallelism})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func write(t *testing.T, w connector.SinkWriter[string], recs ...string) {
	t.Helper()
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
}

func flush(t *testing.T, w connector.SinkWriter[string], end bool) {
	t.Helper()
	if err := w.Flush(end); err != nil {
		t.Fatal(err)
	}
}

func prepare(t *testing.T, w connector.SinkWriter[string], id int64) [][]byte {
	t.Helper()
	c, err := w.(connector.CheckpointedSinkWriter).PrepareCommit(id)
	if err != nil {
		t.Fatalf("PrepareCommit(%d): %v", id, err)
	}
	return c
}

func notify(t *testing.T, w connector.SinkWriter[string], id int64) {
	t.Helper()
	if err := w.(connector.CheckpointedSinkWriter).NotifyCheckpointComplete(id); err != nil {
		t.Fatalf("NotifyCheckpointComplete(%d): %v", id, err)
	}
}

func recoverSink(t *testing.T, s *Sink, committables [][]byte) {
	t.Helper()
	if err := s.Recover(context.Background(), committables); err != nil {
		t.Fatalf("Recover: %v", err)
	}
}

// commitNames decodes committables into "hidden>final" strings; the
// history entry, which must come first, is left out.
func commitNames(t *testing.T, committables [][]byte) []string {
	t.Helper()
	if len(committables) == 0 || committables[0][0] != historyVersion {
		t.Fatalf("committables %q do not start with the sink's history", committables)
	}
	var out []string
	for _, c := range committables[1:] {
		h, f, err := decodeCommittable(c)
		if err != nil {
			t.Fatalf("decode %q: %v", c, err)
		}
		out = append(out, h+">"+f)
	}
	return out
}

// publishedLines reads the published part files of dir back with the source.
func publishedLines(t *testing.T, dir string) []string {
	t.Helper()
	r := newReader(t, NewSource(dir), connector.SourceContext{Parallelism: 1})
	recs, _, _ := fetch(t, r, 64, -1)
	slices.Sort(recs)
	return recs
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestSinkNamingAndCommit(t *testing.T) {
	testutil.CheckGoroutines(t)
	dir := filepath.Join(t.TempDir(), "out", "nested") // created by the sink
	s := NewSink(dir)
	w0, w1 := newWriter(t, s, 0, 2), newWriter(t, s, 1, 2)
	write(t, w0, "a", "b")
	write(t, w1, "c")

	step := func(what string, want map[string]string) {
		t.Helper()
		if got := listing(t, dir); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %q, want %q", what, got, want)
		}
	}
	step("before flush", map[string]string{".part-0-0.inprogress": "", ".part-1-0.inprogress": ""})
	flush(t, w0, false)
	flush(t, w1, false)
	step("after Flush(false)", map[string]string{".part-0-0.inprogress": "a\nb\n", ".part-1-0.inprogress": "c\n"})
	flush(t, w0, true)
	flush(t, w1, true)
	pending := map[string]string{".part-0-0.pending": "a\nb\n", ".part-1-0.pending": "c\n"}
	step("after Flush(true)", pending)
	c0, c1 := prepare(t, w0, connector.FinalCheckpoint), prepare(t, w1, connector.FinalCheckpoint)
	step("after PrepareCommit", pending)
	if got, want := append(commitNames(t, c0), commitNames(t, c1)...), []string{".part-0-0.pending>part-0-0", ".part-1-0.pending>part-1-0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("committables = %q, want %q", got, want)
	}
	notify(t, w0, connector.FinalCheckpoint)
	notify(t, w1, connector.FinalCheckpoint)
	want := map[string]string{"part-0-0": "a\nb\n", "part-1-0": "c\n"}
	step("after NotifyCheckpointComplete", want)
	for _, w := range []connector.SinkWriter[string]{w0, w1} {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	step("after Close", want)
}

func TestSinkRoll(t *testing.T) {
	testutil.CheckGoroutines(t)
	dir := t.TempDir()
	w := newWriter(t, NewSink(dir, WithRollSize(10)), 0, 1)
	// "aaaa\n" is 5 bytes: two per part file; a record over the limit gets
	// a file of its own. Rolled files are sealed to their pending name.
	write(t, w, "aaaa", "bbbb", "cccc", "dddd", "eeeeeeeeeeeeeee", "f")
	hidden := map[string]string{
		".part-0-0.pending":    "aaaa\nbbbb\n",
		".part-0-1.pending":    "cccc\ndddd\n",
		".part-0-2.pending":    "eeeeeeeeeeeeeee\n",
		".part-0-3.inprogress": "",
	}
	if got := listing(t, dir); !reflect.DeepEqual(got, hidden) {
		t.Errorf("before commit: %q, want %q", got, hidden)
	}
	flush(t, w, true)
	prepare(t, w, connector.FinalCheckpoint)
	notify(t, w, connector.FinalCheckpoint)
	want := map[string]string{
		"part-0-0": "aaaa\nbbbb\n",
		"part-0-1": "cccc\ndddd\n",
		"part-0-2": "eeeeeeeeeeeeeee\n",
		"part-0-3": "f\n",
	}
	if got := listing(t, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("after commit: %q, want %q", got, want)
	}
}

// TestSinkCheckpointCycle drives one writer through several checkpoints
// with rolling, with notifications that lag behind the preparations.
func TestSinkCheckpointCycle(t *testing.T) {
	testutil.CheckGoroutines(t)
	dir := t.TempDir()
	w := newWriter(t, NewSink(dir, WithRollSize(10)), 0, 1)
	type step struct {
		write   []string
		prepare int64 // PrepareCommit(prepare) when > 0
		commits []string
		notify  int64 // NotifyCheckpointComplete(notify) when > 0, after prepare
		want    map[string]string
	}
	steps := []step{
		{write: []string{"aaaa", "bbbb", "cccc"}, prepare: 1,
			commits: []string{".part-0-0.pending>part-0-0", ".part-0-1.pending>part-0-1"},
			want:    map[string]string{".part-0-0.pending": "aaaa\nbbbb\n", ".part-0-1.pending": "cccc\n"}},
		// Checkpoint 1 is not complete yet: checkpoint 2 repeats its files.
		{write: []string{"dddd"}, prepare: 2,
			commits: []string{".part-0-0.pending>part-0-0", ".part-0-1.pending>part-0-1", ".part-0-2.pending>part-0-2"},
			want:    map[string]string{".part-0-0.pending": "aaaa\nbbbb\n", ".part-0-1.pending": "cccc\n", ".part-0-2.pending": "dddd\n"}},
		{notify: 1,
			want: map[string]string{"part-0-0": "aaaa\nbbbb\n", "part-0-1": "cccc\n", ".part-0-2.pending": "dddd\n"}},
		// Nothing written: nothing new sealed, no empty file created.
		{prepare: 3, commits: []string{".part-0-2.pending>part-0-2"},
			want: map[string]string{"part-0-0": "aaaa\nbbbb\n", "part-0-1": "cccc\n", ".part-0-2.pending": "dddd\n"}},
		// Rolling seals to pending; the commit of 3 publishes only 2's file.
		{write: []string{"eeee", "ffff", "gggg"}, notify: 3,
			want: map[string]string{"part-0-0": "aaaa\nbbbb\n", "part-0-1": "cccc\n", "part-0-2": "dddd\n",
				".part-0-3.pending": "eeee\nffff\n", ".part-0-4.inprogress": ""}},
		{prepare: 4, commits: []string{".part-0-3.pending>part-0-3", ".part-0-4.pending>part-0-4"}, notify: 4,
			want: map[string]string{"part-0-0": "aaaa\nbbbb\n", "part-0-1": "cccc\n", "part-0-2": "dddd\n",
				"part-0-3": "eeee\nffff\n", "part-0-4": "gggg\n"}},
		{prepare: 5, commits: nil, notify: 5,
			want: map[string]string{"part-0-0": "aaaa\nbbbb\n", "part-0-1": "cccc\n", "part-0-2": "dddd\n",
				"part-0-3": "eeee\nffff\n", "part-0-4": "gggg\n"}},
	}
	for i, st := range steps {
		write(t, w, st.write...)
		if st.prepare > 0 {
			flush(t, w, false)
			if got := commitNames(t, prepare(t, w, st.prepare)); !reflect.DeepEqual(got, st.commits) {
				t.Errorf("step %d: PrepareCommit(%d) = %q, want %q", i, st.prepare, got, st.commits)
			}
		}
		if st.notify > 0 {
			notify(t, w, st.notify)
		}
		if got := listing(t, dir); !reflect.DeepEqual(got, st.want) {
			t.Errorf("step %d: files %q, want %q", i, got, st.want)
		}
	}
}

func TestSinkCommitIdempotent(t *testing.T) {
	dir := t.TempDir()
	s := NewSink(dir, WithRollSize(4))
	w := newWriter(t, s, 0, 1)
	write(t, w, "a", "b", "c")
	c1 := prepare(t, w, 1)
	write(t, w, "d")
	prepare(t, w, 2)
	// Someone (a Recover racing ahead, say) already published part-0-0.
	if err := os.Rename(filepath.Join(dir, ".part-0-0.pending"), filepath.Join(dir, "part-0-0")); err != nil {
		t.Fatal(err)
	}
	notify(t, w, 1)
	afterOne := map[string]string{"part-0-0": "a\nb\n", "part-0-1": "c\n", ".part-0-2.pending": "d\n"}
	for _, id := range []int64{1, 0, 1} { // again, older, again
		notify(t, w, id)
		if got := listing(t, dir); !reflect.DeepEqual(got, afterOne) {
			t.Fatalf("after repeated NotifyCheckpointComplete(%d): %q, want %q", id, got, afterOne)
		}
	}
	// Recover of committables already published changes nothing but removes
	// the leftovers (here: checkpoint 2's pending file).
	recoverSink(t, NewSink(dir), c1)
	recoverSink(t, NewSink(dir), c1)
	want := map[string]string{"part-0-0": "a\nb\n", "part-0-1": "c\n"}
	if got := listing(t, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("after Recover: %q, want %q", got, want)
	}
	// The writer's checkpoint 2 file is gone under both names now: that is
	// lost data, never a silent success.
	err := w.(connector.CheckpointedSinkWriter).NotifyCheckpointComplete(2)
	if want := "file sink " + dir + ": commit checkpoint 2: committed part file missing: part-0-2 (neither .part-0-2.pending nor part-0-2 exists)"; err == nil || err.Error() != want {
		t.Errorf("NotifyCheckpointComplete of a lost file: err = %v, want %q", err, want)
	}
}

// TestSinkFailedAttempt: an attempt completes checkpoint 1 (and publishes
// it), completes checkpoint 2 without hearing about it, writes more, and
// dies. The next attempt restores checkpoint 2.
func TestSinkFailedAttempt(t *testing.T) {
	for _, crash := range []string{"Close", "killed"} {
		t.Run(crash, func(t *testing.T) {
			testutil.CheckGoroutines(t)
			dir := t.TempDir()
			s := NewSink(dir, WithRollSize(16))
			w := newWriter(t, s, 0, 1)
			other := newWriter(t, s, 1, 2) // another subtask, with leftovers too
			var upTo2 []string
			emit := func(w connector.SinkWriter[string], recs ...string) {
				write(t, w, recs...)
				upTo2 = append(upTo2, recs...)
			}
			emit(w, "one-1", "one-2", "one-3", "one-4")
			emit(other, "other-1")
			flush(t, w, false)
			prepare(t, w, 1)
			prepare(t, other, 1)
			emit(w, "two-1", "two-2", "two-3")
			flush(t, w, false)
			c2 := prepare(t, w, 2)
			c2 = append(c2, prepare(t, other, 2)...)
			notify(t, w, 1)
			notify(t, other, 1)
			// After checkpoint 2: rolled and in-progress files.
			write(t, w, "late-1", "late-2", "late-3", "late-4")
			write(t, other, "late-other")
			flush(t, w, false)
			flush(t, other, false)
			if crash == "Close" {
				for _, w := range []connector.SinkWriter[string]{w, other} {
					if err := w.Close(); err != nil {
						t.Fatal(err)
					}
				}
			}
			var hidden int
			for name := range listing(t, dir) {
				if strings.HasPrefix(name, ".") {
					hidden++
				}
			}
			if hidden == 0 {
				t.Fatal("the failed attempt left no hidden files: the scenario tests nothing")
			}

			s2 := NewSink(dir, WithRollSize(16))
			recoverSink(t, s2, c2)
			got := listing(t, dir)
			var names []string
			for name := range got {
				names = append(names, name)
			}
			slices.Sort(names)
			// Two 6-byte lines per part file. Checkpoint 1: part-0-0, part-0-1
			// and part-1-0; checkpoint 2: part-0-2 and part-0-3.
			if want := []string{"part-0-0", "part-0-1", "part-0-2", "part-0-3", "part-1-0"}; !reflect.DeepEqual(names, want) {
				t.Errorf("after Recover: files %q, want %q", names, want)
			}
			if got, want := publishedLines(t, dir), sorted(upTo2); !reflect.DeepEqual(got, want) {
				t.Errorf("published lines %q, want those before checkpoint 2 %q", got, want)
			}

			// The new attempt replays what followed checkpoint 2 and ends.
			w2 := newWriter(t, s2, 0, 1)
			write(t, w2, "late-1", "late-2", "late-3", "late-4")
			flush(t, w2, true)
			prepare(t, w2, connector.FinalCheckpoint)
			notify(t, w2, connector.FinalCheckpoint)
			all := append(upTo2, "late-1", "late-2", "late-3", "late-4")
			if got, want := publishedLines(t, dir), sorted(all); !reflect.DeepEqual(got, want) {
				t.Errorf("after the second attempt: %q, want every record once: %q", got, want)
			}
			if got := listing(t, dir)["part-0-4"]; got != "late-1\nlate-2\n" {
				t.Errorf("second attempt did not continue at counter 4: %q", listing(t, dir))
			}
		})
	}
}

func TestSinkRecoverNilRemovesLeftovers(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"part-0-0":             "kept\n",
		"part-3-7":             "kept\n",
		".part-0-1.inprogress": "x",
		".part-0-2.pending":    "x",
		".part-5-9.pending":    "x",
		".part-2-0.inprogress": "x",
		// not ours
		".part-0-3.tmp":     "x",
		".part-x-1.pending": "x",
		"part-0-x":          "x",
		"_SUCCESS":          "",
		".hidden":           "x",
		"data.pending":      "x",
	})
	recoverSink(t, NewSink(dir), nil)
	want := []string{".hidden", ".part-0-3.tmp", ".part-x-1.pending", "_SUCCESS", "data.pending", "part-0-0", "part-0-x", "part-3-7"}
	var got []string
	for name := range listing(t, dir) {
		got = append(got, name)
	}
	if got = sorted(got); !reflect.DeepEqual(got, want) {
		t.Errorf("after Recover(nil): %q, want %q", got, want)
	}
	// A writer created after Recover continues after the finished files.
	w := newWriter(t, NewSink(dir), 0, 1)
	write(t, w, "new")
	flush(t, w, true)
	prepare(t, w, 1)
	notify(t, w, 1)
	if got := listing(t, dir)["part-0-1"]; got != "new\n" {
		t.Errorf("part-0-1 = %q, want the new file", got)
	}
}

func TestSinkRecoverCreatesDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	recoverSink(t, NewSink(dir), nil)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Errorf("Recover did not create %s: %v", dir, err)
	}
}

func TestSinkRecoverErrors(t *testing.T) {
	enc := encodeCommittable
	tests := []struct {
		name         string
		committables [][]byte
		want         string // error text after "file sink <dir>: recover: "
	}{
		{"missing", [][]byte{enc(".part-0-4.pending", "part-0-4")},
			"committed part file part-0-4 is missing, under its hidden name and its final name: records of a completed checkpoint are lost"},
		{"several missing", [][]byte{enc(".part-0-4.pending", "part-0-4"), enc(".part-0-1.pending", "part-0-1"), enc(".part-0-5.pending", "part-0-5")},
			"committed part file part-0-4 is missing, under its hidden name and its final name (and 1 more committed part files): records of a completed checkpoint are lost"},
		{"empty", [][]byte{{}}, "committable 1 of 1: empty committable"},
		{"version", [][]byte{{3, 0, 0}}, "committable 1 of 1: unsupported version 3 (this sink knows versions 1 and 2)"},
		{"history", [][]byte{{2, 0, 0}}, "committable 1 of 1: history: 0 steps in 1 bytes"},
		{"truncated", [][]byte{enc(".part-0-1.pending", "part-0-1")[:5]}, "committable 1 of 1: hidden name length 17 exceeds the 3 bytes that follow"},
		{"no final", [][]byte{{1, 1, 'a'}}, "committable 1 of 1: truncated or malformed final name length"},
		{"trailing", [][]byte{append(enc("a", "b"), 0)}, "committable 1 of 1: 1 unexpected trailing bytes"},
		{"absolute", [][]byte{enc("/etc/passwd", "part-0-1")}, `committable 1 of 1: hidden name "/etc/passwd" is not a path inside the sink directory`},
		{"escapes", [][]byte{enc(".part-0-1.pending", "../part-0-1")}, `committable 1 of 1: final name "../part-0-1" is not a path inside the sink directory`},
		{"same names", [][]byte{enc("part-0-1", "part-0-1")}, `committable 1 of 1: hidden and final name are both "part-0-1"`},
		{"second bad", [][]byte{enc(".part-0-1.pending", "part-0-1"), {}}, "committable 2 of 2: empty committable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{".part-0-1.pending": "ok\n", ".part-0-9.inprogress": "leftover\n"}
			writeFiles(t, dir, files)
			err := NewSink(dir).Recover(context.Background(), tc.committables)
			if want := "file sink " + dir + ": recover: " + tc.want; err == nil || err.Error() != want {
				t.Errorf("err = %v\nwant %s", err, want)
			}
			// Leftovers stay for inspection; malformed input publishes nothing.
			got := listing(t, dir)
			if _, ok := got[".part-0-9.inprogress"]; !ok {
				t.Errorf("Recover removed leftovers despite the error: %q", got)
			}
			if !strings.Contains(tc.name, "missing") && !reflect.DeepEqual(got, files) {
				t.Errorf("malformed committables changed the directory: %q", got)
			}
		})
	}
	if err := NewSink(t.TempDir()).Recover(canceled(), [][]byte{encodeCommittable("a", "b")}); err != context.Canceled {
		t.Errorf("cancelled Recover: err = %v", err)
	}
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestCommittableEncoding(t *testing.T) {
	b := encodeCommittable(".part-0-12.pending", "part-0-12")
	want := append(append(append([]byte{1, 18}, ".part-0-12.pending"...), 9), "part-0-12"...)
	if !reflect.DeepEqual(b, want) {
		t.Errorf("encoding = %v, want %v", b, want)
	}
	h, f, err := decodeCommittable(b)
	if err != nil || h != ".part-0-12.pending" || f != "part-0-12" {
		t.Errorf("decode = %q, %q, %v", h, f, err)
	}
}

// TestSinkEndOfInput: the bounded-job path, with Close before the final
// commit (the commit waits for the whole job; the writer may be closed).
func TestSinkEndOfInput(t *testing.T) {
	testutil.CheckGoroutines(t)
	dir := t.TempDir()
	s := NewSink(dir, WithRollSize(32))
	recoverSink(t, s, nil)
	var want []string
	var ws []connector.SinkWriter[string]
	for sub := range 3 {
		w := newWriter(t, s, sub, 3)
		ws = append(ws, w)
		for i := range 25 {
			rec := strings.Repeat(string(rune('a'+sub)), i%9) + "-" + string(rune('0'+i%10))
			write(t, w, rec)
			want = append(want, rec)
			if i == 10 {
				flush(t, w, false)
				prepare(t, w, 1) // a checkpoint on the way, never completed
			}
		}
		flush(t, w, true)
		prepare(t, w, connector.FinalCheckpoint)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if got := publishedLines(t, dir); len(got) != 0 {
		t.Fatalf("published before the final commit: %q", got)
	}
	for _, w := range ws {
		notify(t, w, connector.FinalCheckpoint)
	}
	for name := range listing(t, dir) { // commit logs left out
		if strings.HasPrefix(name, ".") {
			t.Errorf("hidden file %s left after the final commit", name)
		}
	}
	if got := publishedLines(t, dir); !reflect.DeepEqual(got, sorted(want)) {
		t.Errorf("read back %d records, want %d:\n%q\n%q", len(got), len(want), got, sorted(want))
	}
}

func TestSinkClose(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, w connector.SinkWriter[string])
		want map[string]string
	}{
		{"nothing written", func(t *testing.T, w connector.SinkWriter[string]) {}, map[string]string{}},
		{"written and flushed", func(t *testing.T, w connector.SinkWriter[string]) {
			write(t, w, "a", "b")
			flush(t, w, false)
		}, map[string]string{}},
		{"rolled, not prepared", func(t *testing.T, w connector.SinkWriter[string]) {
			write(t, w, "aaaaaaaa", "bbbbbbbb", "cccccccc")
			flush(t, w, false)
		}, map[string]string{}},
		{"end of input, not prepared", func(t *testing.T, w connector.SinkWriter[string]) {
			write(t, w, "a")
			flush(t, w, true)
		}, map[string]string{}},
		{"prepared, not committed", func(t *testing.T, w connector.SinkWriter[string]) {
			write(t, w, "a")
			prepare(t, w, 1)
			write(t, w, "b")
		}, map[string]string{".part-0-0.pending": "a\n"}},
		{"written after commit", func(t *testing.T, w connector.SinkWriter[string]) {
			write(t, w, "a")
			prepare(t, w, 1)
			notify(t, w, 1)
			write(t, w, "b")
			flush(t, w, false)
		}, map[string]string{"part-0-0": "a\n"}},
		{"commit of nothing", func(t *testing.T, w connector.SinkWriter[string]) {
			flush(t, w, true)
			if c := commitNames(t, prepare(t, w, connector.FinalCheckpoint)); c != nil {
				t.Errorf("committables %q for an empty output", c)
			}
			notify(t, w, connector.FinalCheckpoint)
		}, map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w := newWriter(t, NewSink(dir, WithRollSize(10)), 0, 1)
			tc.run(t, w)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got := listing(t, dir); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("after Close: %q, want %q", got, tc.want)
			}
			if err := w.Write("x"); err == nil {
				t.Error("Write after Close succeeded")
			}
			if _, err := w.(connector.CheckpointedSinkWriter).PrepareCommit(9); err == nil {
				t.Error("PrepareCommit after Close succeeded")
			}
		})
	}
}

func TestSinkCounterContinuesAfterExistingParts(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"part-0-3":             "old\n",
		".part-0-5.inprogress": "crashed\n",
		".part-0-7.pending":    "crashed\n",
		"part-1-9":             "other subtask\n",
		"part-0-x":             "not a part file\n",
		"_SUCCESS":             "",
	})
	w := newWriter(t, NewSink(dir), 0, 2)
	write(t, w, "new")
	flush(t, w, true)
	prepare(t, w, 1)
	notify(t, w, 1)
	got := listing(t, dir)
	if got["part-0-8"] != "new\n" || got["part-0-3"] != "old\n" || len(got) != 7 {
		t.Errorf("files = %q, want the new part as part-0-8 and the others untouched", got)
	}
}

func TestSinkBadDirectory(t *testing.T) {
	base := t.TempDir()
	blocker := filepath.Join(base, "file")
	writeFiles(t, base, map[string]string{"file": "x"})
	dir := filepath.Join(blocker, "out")
	_, err := NewSink(dir).CreateWriter(connector.SinkContext{Parallelism: 1})
	if err == nil || !strings.HasPrefix(err.Error(), "file sink: cannot create directory "+dir+": ") || strings.Contains(err.Error(), "\n") {
		t.Errorf("err = %v, want a one-line error naming %s", err, dir)
	}
	err = NewSink(dir).Recover(context.Background(), nil)
	if err == nil || !strings.HasPrefix(err.Error(), "file sink: cannot create directory "+dir+": ") {
		t.Errorf("Recover: err = %v, want an error naming %s", err, dir)
	}

	if os.Geteuid() == 0 {
		t.Skip("running as root: permissions are not enforced")
	}
	ro := filepath.Join(base, "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	_, err = NewSink(ro).CreateWriter(connector.SinkContext{Parallelism: 1})
	if want := "file sink: cannot write to directory " + ro + ": permission denied"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestSinkRollSizeMustBePositive(t *testing.T) {
	_, err := NewSink(t.TempDir(), WithRollSize(0)).CreateWriter(connector.SinkContext{Parallelism: 1})
	if err == nil || !strings.Contains(err.Error(), "roll size must be positive") {
		t.Errorf("err = %v", err)
	}
}

// TestSinkThenSource writes with 3 writers and reads the directory back with
// 2 readers: the hidden files of an aborted writer are invisible.
func TestSinkThenSource(t *testing.T) {
	testutil.CheckGoroutines(t)
	dir := t.TempDir()
	s := NewSink(dir, WithRollSize(64))
	var want []string
	for sub := range 3 {
		w := newWriter(t, s, sub, 3)
		for i := range 40 {
			rec := strings.Repeat(string(rune('a'+sub)), i%7) + "-" + string(rune('0'+i%10))
			write(t, w, rec)
			want = append(want, rec)
		}
		flush(t, w, true)
		prepare(t, w, connector.FinalCheckpoint)
		notify(t, w, connector.FinalCheckpoint)
	}
	aborted := newWriter(t, s, 0, 3)
	write(t, aborted, "never published", strings.Repeat("x", 70), "prepared only")
	prepare(t, aborted, 7)
	write(t, aborted, "in progress")
	flush(t, aborted, false)

	var got []string
	for sub := range 2 {
		r := newReader(t, NewSource(dir), connector.SourceContext{Subtask: sub, Parallelism: 2})
		recs, _, _ := fetch(t, r, 16, -1)
		got = append(got, recs...)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back %d records, want %d:\n%q\n%q", len(got), len(want), got, want)
	}
}
