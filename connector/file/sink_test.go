package file

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/weirstream/weir/connector/internal/testutil"
	"github.com/weirstream/weir/runtime"
)

// listing returns name → content of the files in dir.
func listing(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

func newWriter(t *testing.T, s *Sink, subtask, parallelism int) runtime.SinkWriter[string] {
	t.Helper()
	w, err := s.CreateWriter(runtime.SinkContext{Subtask: subtask, Parallelism: parallelism})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func write(t *testing.T, w runtime.SinkWriter[string], recs ...string) {
	t.Helper()
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
}

func flush(t *testing.T, w runtime.SinkWriter[string], end bool) {
	t.Helper()
	if err := w.Flush(end); err != nil {
		t.Fatal(err)
	}
}

func TestSinkNamingAndPublish(t *testing.T) {
	testutil.CheckGoroutines(t)
	dir := filepath.Join(t.TempDir(), "out", "nested") // created by the sink
	s := NewSink(dir)
	w0, w1 := newWriter(t, s, 0, 2), newWriter(t, s, 1, 2)
	write(t, w0, "a", "b")
	write(t, w1, "c")

	if got, want := listing(t, dir), map[string]string{".part-0-0.inprogress": "", ".part-1-0.inprogress": ""}; !reflect.DeepEqual(got, want) {
		t.Errorf("before flush: %q, want %q", got, want)
	}
	flush(t, w0, false)
	flush(t, w1, false)
	if got, want := listing(t, dir), map[string]string{".part-0-0.inprogress": "a\nb\n", ".part-1-0.inprogress": "c\n"}; !reflect.DeepEqual(got, want) {
		t.Errorf("after Flush(false): %q, want %q", got, want)
	}
	flush(t, w0, true)
	flush(t, w1, true)
	want := map[string]string{"part-0-0": "a\nb\n", "part-1-0": "c\n"}
	if got := listing(t, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("after Flush(true): %q, want %q", got, want)
	}
	if err := w0.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w1.Close(); err != nil {
		t.Fatal(err)
	}
	if got := listing(t, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("after Close: %q, want %q", got, want)
	}
}

func TestSinkRoll(t *testing.T) {
	testutil.CheckGoroutines(t)
	dir := t.TempDir()
	w := newWriter(t, NewSink(dir, WithRollSize(10)), 0, 1)
	// "aaaa\n" is 5 bytes: two per part file; a record over the limit gets
	// a file of its own.
	write(t, w, "aaaa", "bbbb", "cccc", "dddd", "eeeeeeeeeeeeeee", "f")
	hidden := map[string]string{
		".part-0-0.inprogress": "aaaa\nbbbb\n",
		".part-0-1.inprogress": "cccc\ndddd\n",
		".part-0-2.inprogress": "eeeeeeeeeeeeeee\n",
		".part-0-3.inprogress": "",
	}
	if got := listing(t, dir); !reflect.DeepEqual(got, hidden) {
		t.Errorf("before publish: %q, want %q", got, hidden)
	}
	flush(t, w, true)
	want := map[string]string{
		"part-0-0": "aaaa\nbbbb\n",
		"part-0-1": "cccc\ndddd\n",
		"part-0-2": "eeeeeeeeeeeeeee\n",
		"part-0-3": "f\n",
	}
	if got := listing(t, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("after publish: %q, want %q", got, want)
	}
}

func TestSinkCloseWithoutPublishRemovesEverything(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, w runtime.SinkWriter[string])
		want map[string]string
	}{
		{"nothing written", func(t *testing.T, w runtime.SinkWriter[string]) {}, map[string]string{}},
		{"written and flushed", func(t *testing.T, w runtime.SinkWriter[string]) {
			write(t, w, "a", "b")
			flush(t, w, false)
		}, map[string]string{}},
		{"rolled", func(t *testing.T, w runtime.SinkWriter[string]) {
			write(t, w, "aaaaaaaa", "bbbbbbbb", "cccccccc")
			flush(t, w, false)
		}, map[string]string{}},
		{"written after publish", func(t *testing.T, w runtime.SinkWriter[string]) {
			write(t, w, "a")
			flush(t, w, true)
			write(t, w, "b")
			flush(t, w, false)
		}, map[string]string{"part-0-0": "a\n"}},
		{"publish of nothing", func(t *testing.T, w runtime.SinkWriter[string]) {
			flush(t, w, true)
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
		})
	}
}

func TestSinkCounterContinuesAfterExistingParts(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"part-0-3":             "old\n",
		".part-0-5.inprogress": "crashed\n",
		"part-1-9":             "other subtask\n",
		"part-0-x":             "not a part file\n",
		"_SUCCESS":             "",
	})
	w := newWriter(t, NewSink(dir), 0, 2)
	write(t, w, "new")
	flush(t, w, true)
	got := listing(t, dir)
	if got["part-0-6"] != "new\n" || got["part-0-3"] != "old\n" || len(got) != 6 {
		t.Errorf("files = %q, want the new part as part-0-6 and the others untouched", got)
	}
}

func TestSinkBadDirectory(t *testing.T) {
	base := t.TempDir()
	blocker := filepath.Join(base, "file")
	writeFiles(t, base, map[string]string{"file": "x"})
	dir := filepath.Join(blocker, "out")
	_, err := NewSink(dir).CreateWriter(runtime.SinkContext{Parallelism: 1})
	if err == nil || !strings.HasPrefix(err.Error(), "file sink: cannot create directory "+dir+": ") || strings.Contains(err.Error(), "\n") {
		t.Errorf("err = %v, want a one-line error naming %s", err, dir)
	}

	if os.Geteuid() == 0 {
		t.Skip("running as root: permissions are not enforced")
	}
	ro := filepath.Join(base, "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	_, err = NewSink(ro).CreateWriter(runtime.SinkContext{Parallelism: 1})
	if want := "file sink: cannot write to directory " + ro + ": permission denied"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestSinkRollSizeMustBePositive(t *testing.T) {
	_, err := NewSink(t.TempDir(), WithRollSize(0)).CreateWriter(runtime.SinkContext{Parallelism: 1})
	if err == nil || !strings.Contains(err.Error(), "roll size must be positive") {
		t.Errorf("err = %v", err)
	}
}

// TestSinkThenSource writes with 3 writers and reads the directory back with
// 2 readers: the in-progress files of an aborted writer are invisible.
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
	}
	aborted := newWriter(t, s, 0, 3)
	write(t, aborted, "never published")
	flush(t, aborted, false)

	var got []string
	for sub := range 2 {
		r := newReader(t, NewSource(dir), runtime.SourceContext{Subtask: sub, Parallelism: 2})
		recs, _, _ := fetch(t, r, 16, -1)
		got = append(got, recs...)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back %d records, want %d:\n%q\n%q", len(got), len(want), got, want)
	}
}
