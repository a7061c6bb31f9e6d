package file

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/internal/testutil"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func newReader(t *testing.T, src connector.Source[string], ctx connector.SourceContext) connector.SourceReader[string] {
	t.Helper()
	r, err := src.CreateReader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// fetch reads at most maxBatches batches of capacity records (all batches
// when maxBatches < 0) and returns the records, the last position and
// whether the reader reached io.EOF.
func fetch(t *testing.T, r connector.SourceReader[string], capacity, maxBatches int) (recs []string, pos [][]byte, eof bool) {
	t.Helper()
	for i := 0; maxBatches < 0 || i < maxBatches; i++ {
		batch, p, err := r.Fetch(context.Background(), make([]string, 0, capacity))
		if len(batch) > capacity {
			t.Fatalf("batch of %d records for capacity %d", len(batch), capacity)
		}
		if err != nil && err != io.EOF {
			t.Fatalf("Fetch: %v", err)
		}
		if p == nil {
			t.Fatal("nil position")
		}
		recs, pos = append(recs, batch...), p
		if err == io.EOF {
			return recs, pos, true
		}
		if len(batch) == 0 && capacity > 0 {
			t.Fatal("Fetch returned no records, no error")
		}
	}
	return recs, pos, false
}

func TestSourceLines(t *testing.T) {
	long := strings.Repeat("y", readBufferSize*2+3)
	tests := []struct {
		name    string
		content string
		want    []string
	}{
		{"simple", "a\nb\nc\n", []string{"a", "b", "c"}},
		{"no final newline", "a\nb", []string{"a", "b"}},
		{"crlf", "a\r\nb\r\nc\r", []string{"a", "b", "c"}},
		{"inner cr kept", "a\rb\n", []string{"a\rb"}},
		{"empty lines", "\n\nx\n\n", []string{"", "", "x", ""}},
		{"empty file", "", nil},
		{"long line", "a\n" + long + "\r\nb", []string{"a", long, "b"}},
	}
	for _, tc := range tests {
		for _, capacity := range []int{1, 2, 100} {
			t.Run(fmt.Sprintf("%s/cap%d", tc.name, capacity), func(t *testing.T) {
				testutil.CheckGoroutines(t)
				path := filepath.Join(t.TempDir(), "in.txt")
				writeFiles(t, filepath.Dir(path), map[string]string{"in.txt": tc.content})
				r := newReader(t, NewSource(path), connector.SourceContext{Parallelism: 1})
				got, _, _ := fetch(t, r, capacity, -1)
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("lines = %.40q, want %.40q", got, tc.want)
				}
			})
		}
	}
}

var dirFiles = map[string]string{
	"a.txt":                "a1\na2\na3\n",
	"b.txt":                "b1\nb2",
	"c":                    "c1\n",
	"d.csv":                "d1\nd2\nd3\nd4\n",
	"e.txt":                "",
	".hidden":              "h\n",
	"_SUCCESS":             "s\n",
	".part-0-0.inprogress": "p\n",
	"sub/nested.txt":       "n\n",
}

func TestSourceDirectory(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, dirFiles)
	src := NewSource(dir)
	files, err := src.Files()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	if want := []string{"a.txt", "b.txt", "c", "d.csv", "e.txt"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("files = %q, want %q", names, want)
	}
	tests := []struct {
		parallelism int
		want        [][]string
	}{
		{1, [][]string{{"a1", "a2", "a3", "b1", "b2", "c1", "d1", "d2", "d3", "d4"}}},
		{2, [][]string{{"a1", "a2", "a3", "c1"}, {"b1", "b2", "d1", "d2", "d3", "d4"}}},
		{3, [][]string{{"a1", "a2", "a3", "d1", "d2", "d3", "d4"}, {"b1", "b2"}, {"c1"}}},
		{7, [][]string{{"a1", "a2", "a3"}, {"b1", "b2"}, {"c1"}, {"d1", "d2", "d3", "d4"}, nil, nil, nil}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint("p", tc.parallelism), func(t *testing.T) {
			testutil.CheckGoroutines(t)
			for i := 0; i < tc.parallelism; i++ {
				r := newReader(t, src, connector.SourceContext{Subtask: i, Parallelism: tc.parallelism})
				got, _, _ := fetch(t, r, 3, -1)
				if !reflect.DeepEqual(got, tc.want[i]) {
					t.Errorf("subtask %d: lines = %q, want %q", i, got, tc.want[i])
				}
			}
		})
	}
}

func TestSourceMissingPath(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "x", "y")
	_, err := NewSource(missing).CreateReader(connector.SourceContext{Parallelism: 1})
	want := "file source: open " + missing + ": no such file or directory"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

func TestSourceRestoreMidFile(t *testing.T) {
	testutil.CheckGoroutines(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"f": "l1\nl2\r\nl3\nl4\nl5"})
	src := NewSource(dir)
	all, _, _ := fetch(t, newReader(t, src, connector.SourceContext{Parallelism: 1}), 100, -1)
	for stop := 0; stop <= len(all); stop++ {
		r1 := newReader(t, src, connector.SourceContext{Parallelism: 1})
		var before []string
		var pos [][]byte
		if stop > 0 {
			before, pos, _ = fetch(t, r1, stop, 1)
		} else {
			_, pos, _ = fetch(t, r1, 0, 1) // zero capacity: position only
		}
		r1.Close()
		r2 := newReader(t, src, connector.SourceContext{Parallelism: 1, Restored: pos})
		after, _, _ := fetch(t, r2, 2, -1)
		if got := append(before, after...); !reflect.DeepEqual(got, all) {
			t.Errorf("stop %d: before %q + after %q, want %q", stop, before, after, all)
		}
	}
}

// TestSourceRescale reads part of a directory with 2 readers, takes their
// positions, redistributes the entries evenly among 3 readers (as the runtime
// does after a rescale) and checks every line is read exactly once.
func TestSourceRescale(t *testing.T) {
	testutil.CheckGoroutines(t)
	dir := t.TempDir()
	files := map[string]string{}
	var want []string
	for i := range 5 {
		var b strings.Builder
		for j := range 4 + i {
			line := fmt.Sprintf("f%d-l%d", i, j)
			fmt.Fprintln(&b, line)
			want = append(want, line)
		}
		files[fmt.Sprintf("f%d", i)] = b.String()
	}
	writeFiles(t, dir, files)
	src := NewSource(dir)

	var got []string
	var entries [][]byte
	for sub, batches := range []int{1, 3} { // subtask 0 reads less than subtask 1
		r := newReader(t, src, connector.SourceContext{Subtask: sub, Parallelism: 2})
		recs, pos, _ := fetch(t, r, 3, batches)
		got = append(got, recs...)
		entries = append(entries, pos...)
		r.Close()
	}
	if len(entries) != 5 {
		t.Fatalf("%d position entries, want one per file (5)", len(entries))
	}
	for sub := range 3 {
		var mine [][]byte
		for i, e := range entries {
			if i%3 == sub {
				mine = append(mine, e)
			}
		}
		r := newReader(t, src, connector.SourceContext{Subtask: sub, Parallelism: 3, Restored: mine})
		recs, pos, _ := fetch(t, r, 2, -1)
		got = append(got, recs...)
		if len(pos) != len(mine) {
			t.Errorf("subtask %d: %d entries after restore of %d", sub, len(pos), len(mine))
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lines after rescale =\n%q\nwant\n%q", got, want)
	}
}

func TestSourceRestoreNothing(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"f": "x\n"})
	r := newReader(t, NewSource(dir), connector.SourceContext{Parallelism: 4, Subtask: 3, Restored: [][]byte{}})
	if got, pos, _ := fetch(t, r, 10, -1); len(got) != 0 || len(pos) != 0 {
		t.Errorf("restored with no entries read %q, position %q", got, pos)
	}
}

func TestSourcePositionEntries(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a": "1\n22\n", "b": "3\n"})
	r := newReader(t, NewSource(dir), connector.SourceContext{Parallelism: 1})
	type entry struct {
		path   string
		offset int64
		done   bool
	}
	decode := func(pos [][]byte) (out []entry) {
		for _, b := range pos {
			e, err := decodeEntry(b)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, entry{filepath.Base(e.path), e.offset, e.done})
		}
		return out
	}
	steps := []struct {
		capacity int
		want     []entry
	}{
		{1, []entry{{"a", 2, false}, {"b", 0, false}}},
		{1, []entry{{"a", 5, false}, {"b", 0, false}}},
		{1, []entry{{"a", 5, true}, {"b", 2, false}}},
		{1, []entry{{"a", 5, true}, {"b", 2, true}}},
	}
	for i, s := range steps {
		_, pos, err := r.Fetch(context.Background(), make([]string, 0, s.capacity))
		if err != nil && err != io.EOF {
			t.Fatal(err)
		}
		if got := decode(pos); !reflect.DeepEqual(got, s.want) {
			t.Errorf("step %d: position %+v, want %+v", i, got, s.want)
		}
	}
}

// encodeV1 encodes a position entry as releases before the fingerprint
// did (version 1), for the tests that old checkpoints stay readable.
func encodeV1(path string, offset int64, done bool) []byte {
	b := []byte{positionV1, 0}
	if done {
		b[1] = flagDone
	}
	b = binary.AppendUvarint(b, uint64(offset))
	b = binary.AppendUvarint(b, uint64(len(path)))
	return append(b, path...)
}

func TestPositionDecodeErrors(t *testing.T) {
	good := encodeV1("/data/f", 1234567, true)
	want2 := entry{path: "/data/f", offset: 1234567, done: true, headLen: 65536, headCRC: 0xdeadbeef, tailLen: 7, tailCRC: 42}
	v2 := encodeEntry(want2)
	tests := []struct {
		name  string
		entry []byte
		want  string
	}{
		{"empty", nil, "empty entry"},
		{"version", append([]byte{9}, good[1:]...), "unsupported version 9"},
		{"no flags", good[:1], "no flags byte"},
		{"flags", append([]byte{1, 0x80}, good[2:]...), "unknown flags"},
		{"truncated offset", good[:3], "malformed offset"},
		{"truncated path", good[:len(good)-1], "path length 7 does not match the 6 bytes"},
		{"trailing bytes", append(append([]byte{}, good...), 'x'), "does not match"},
		{"empty path", encodeV1("", 0, false), "empty path"},
		{"v2 truncated fingerprint", v2[:len(v2)-1], "truncated tail checksum"},
		{"v2 trailing bytes", append(slices.Clone(v2), 'x'), "1 unexpected bytes after the fingerprint"},
		{"v2 tail beyond offset", encodeEntry(entry{path: "/f", offset: 3, tailLen: 4}), "tail length 4 exceeds offset 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeEntry(tc.entry)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	e, err := decodeEntry(good)
	if err != nil || e != (entry{path: "/data/f", offset: 1234567, done: true}) {
		t.Errorf("version 1 = %+v %v", e, err)
	}
	if e, err := decodeEntry(v2); err != nil || e != want2 {
		t.Errorf("round trip = %+v %v, want %+v", e, err, want2)
	}
	_, err = NewSource(t.TempDir()).CreateReader(connector.SourceContext{Parallelism: 1, Restored: [][]byte{good, {7}}})
	if err == nil || !strings.Contains(err.Error(), "restore: position entry 2 of 2: unsupported version 7") {
		t.Errorf("CreateReader with a bad entry: err = %v", err)
	}
}

// splitsOf renders a batch's split description with file base names:
// "a.txt:3 b.txt:2 | a.txt" (runs | finished).
func splitsOf(b *connector.SplitBatch) string {
	var s []string
	for _, r := range b.Runs {
		s = append(s, fmt.Sprintf("%s:%d", filepath.Base(r.ID), r.Records))
	}
	s = append(s, "|")
	for _, f := range b.Finished {
		s = append(s, filepath.Base(f))
	}
	return strings.Join(s, " ")
}

// TestSourceSplits: FetchSplits names each line's file and reports a file
// as finished in the batch that reads to its end (an empty file too),
// returning the same lines and positions as Fetch.
func TestSourceSplits(t *testing.T) {
	testutil.CheckGoroutines(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.txt": "a1\na2\na3\na4\n", "b.txt": "b1\nb2", "e.txt": ""})
	src := NewSource(dir)
	plain := newReader(t, src, connector.SourceContext{Parallelism: 1})
	r := newReader(t, src, connector.SourceContext{Parallelism: 1}).(connector.SplitFetcher[string])
	want := []struct {
		lines  string
		splits string
		eof    bool
	}{
		{"a1 a2 a3", "a.txt:3 |", false},
		{"a4 b1 b2", "a.txt:1 b.txt:2 | a.txt b.txt", false},
		{"", "| e.txt", true},
	}
	for i, w := range want {
		var sb connector.SplitBatch
		recs, pos, err := r.FetchSplits(context.Background(), make([]string, 0, 3), &sb)
		if (err == io.EOF) != w.eof || (err != nil && err != io.EOF) {
			t.Fatalf("batch %d: error %v, want EOF %v", i, err, w.eof)
		}
		if got := strings.Join(recs, " "); got != w.lines {
			t.Errorf("batch %d: lines %q, want %q", i, got, w.lines)
		}
		if got := splitsOf(&sb); got != w.splits {
			t.Errorf("batch %d: splits %q, want %q", i, got, w.splits)
		}
		precs, ppos, perr := plain.Fetch(context.Background(), make([]string, 0, 3))
		if !slices.Equal(precs, recs) || !reflect.DeepEqual(ppos, pos) || perr != err {
			t.Errorf("batch %d: Fetch gave %q %q %v, FetchSplits %q %q %v", i, precs, ppos, perr, recs, pos, err)
		}
	}

	// A restored reader reports only the files it still reads: a.txt was
	// finished before the checkpoint, b.txt resumes after b1.
	restored := [][]byte{encodeV1(filepath.Join(dir, "a.txt"), 12, true), encodeV1(filepath.Join(dir, "b.txt"), 3, false)}
	r = newReader(t, src, connector.SourceContext{Parallelism: 1, Restored: restored}).(connector.SplitFetcher[string])
	var sb connector.SplitBatch
	recs, _, err := r.FetchSplits(context.Background(), make([]string, 0, 10), &sb)
	if err != io.EOF || strings.Join(recs, " ") != "b2" || splitsOf(&sb) != "b.txt:1 | b.txt" {
		t.Fatalf("restored: %q, splits %q, %v; want b2, \"b.txt:1 | b.txt\", EOF", recs, splitsOf(&sb), err)
	}
}
