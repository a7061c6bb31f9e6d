package file

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/failover"
)

// checkpointAfter reads n lines of path with a fresh reader and returns the
// position a checkpoint would hold.
func checkpointAfter(t *testing.T, path string, n int) [][]byte {
	t.Helper()
	r := newReader(t, NewSource(path), connector.SourceContext{Parallelism: 1})
	recs, pos, _ := fetch(t, r, n, 1)
	if len(recs) != n {
		t.Fatalf("read %d lines, want %d", len(recs), n)
	}
	return pos
}

// restoreAndRead restores pos and reads to the end of the input.
func restoreAndRead(t *testing.T, path string, pos [][]byte) ([]string, error) {
	t.Helper()
	r, err := NewSource(path).CreateReader(connector.SourceContext{Parallelism: 1, Restored: pos})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var recs []string
	for {
		batch, _, err := r.Fetch(context.Background(), make([]string, 0, 4))
		recs = append(recs, batch...)
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return recs, err
		}
	}
}

// TestSourceRestoreChecksFile (issue 11 item 4): a restore resumes a file
// only if it is the file the checkpoint read; appending to it is fine, a
// truncated, replaced, rewritten or removed file fails with one line that
// names the file, the offset and what changed, and is not restarted.
func TestSourceRestoreChecksFile(t *testing.T) {
	const content = "alpha\nbravo\ncharlie\ndelta\n"
	tests := []struct {
		name    string
		change  func(t *testing.T, path string)
		want    []string // lines read after the restore
		wantErr string
	}{
		{"unchanged", func(*testing.T, string) {}, []string{"charlie", "delta"}, ""},
		{"appended", func(t *testing.T, p string) { appendFile(t, p, "echo\n") }, []string{"charlie", "delta", "echo"}, ""},
		{"touched", func(t *testing.T, p string) {
			future := time.Now().Add(time.Hour)
			if err := os.Chtimes(p, future, future); err != nil {
				t.Fatal(err)
			}
		}, []string{"charlie", "delta"}, ""},
		{"truncated", func(t *testing.T, p string) { writeFile(t, p, "alpha\n") }, nil,
			"changed since the checkpoint: the checkpoint resumes it at byte 12, but it is now 6 bytes long: it was truncated or replaced; restore the file as it was, or start afresh without --from-checkpoint"},
		{"emptied", func(t *testing.T, p string) { writeFile(t, p, "") }, nil,
			"the checkpoint resumes it at byte 12, but it is now 0 bytes long: it was truncated or replaced"},
		{"replaced", func(t *testing.T, p string) { writeFile(t, p, "ALPHA\nbravo\ncharlie\ndelta\nmore\n") }, nil,
			"the checkpoint resumes it at byte 12, but its first 26 bytes differ from those the checkpoint read: it was replaced or rewritten"},
		{"rewritten before the offset", func(t *testing.T, p string) {
			writeFile(t, p, "alpha\nBRAVO\ncharlie\ndelta\n")
		}, nil, "but its first 26 bytes differ"},
		{"removed", func(t *testing.T, p string) {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}, nil, "the checkpoint resumes it at byte 12, but it is gone; restore the file, or start afresh without --from-checkpoint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "in.txt")
			writeFile(t, path, content)
			pos := checkpointAfter(t, path, 2)
			tc.change(t, path)
			got, err := restoreAndRead(t, path, pos)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("restore: %v", err)
				}
				if strings.Join(got, " ") != strings.Join(tc.want, " ") {
					t.Fatalf("read %q after the restore, want %q", got, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("restore read %q and no error; want %q", got, tc.wantErr)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.wantErr) || !strings.Contains(msg, "file source: input "+path+" changed") || strings.Contains(msg, "\n") {
				t.Errorf("error %q, want one line naming %s and containing %q", msg, path, tc.wantErr)
			}
			if !errors.Is(err, ErrInputChanged) || !errors.Is(err, failover.ErrNoRestart) {
				t.Errorf("error %v: want it to match ErrInputChanged and failover.ErrNoRestart", err)
			}
		})
	}
}

// TestSourceRestoreChecksTail: a file whose first 64 KiB are unchanged but
// whose line before the resume offset was rewritten is refused.
func TestSourceRestoreChecksTail(t *testing.T) {
	head := strings.Repeat("h\n", headSize) // 128 KiB of "h" lines
	path := filepath.Join(t.TempDir(), "in.txt")
	writeFile(t, path, head+"one\ntwo\n")
	r := newReader(t, NewSource(path), connector.SourceContext{Parallelism: 1})
	_, pos, _ := fetch(t, r, headSize+1, 1) // up to and including "one"
	writeFile(t, path, head+"ONE\ntwo\n")
	_, err := restoreAndRead(t, path, pos)
	if err == nil || !strings.Contains(err.Error(), "but the 4 bytes before it differ from those the checkpoint read: it was replaced or rewritten") {
		t.Fatalf("restore after rewriting the line before the offset: %v", err)
	}
}

// TestSourceRestoreV1Entry: a checkpoint of an earlier release (version 1
// entries, no fingerprint) still restores, and an offset beyond the file's
// end is refused rather than read as nothing.
func TestSourceRestoreV1Entry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	writeFile(t, path, "a\nb\nc\n")
	got, err := restoreAndRead(t, path, [][]byte{encodeV1(path, 2, false)})
	if err != nil || strings.Join(got, " ") != "b c" {
		t.Fatalf("version 1 entry: read %q, %v; want b c", got, err)
	}
	_, err = restoreAndRead(t, path, [][]byte{encodeV1(path, 100, false)})
	if err == nil || !strings.Contains(err.Error(), "the checkpoint resumes it at byte 100, but it is now 6 bytes long") {
		t.Fatalf("version 1 entry beyond the end: %v", err)
	}
}

// TestSourceFileChangedWhileRead (issue 11 item 4): a file truncated or
// rewritten while it is read fails the reader at its end instead of ending
// the file silently; one that grows is read to its new end.
func TestSourceFileChangedWhileRead(t *testing.T) {
	const content = "alpha\nbravo\ncharlie\ndelta\n"
	tests := []struct {
		name    string
		change  func(t *testing.T, path string)
		want    string // lines read in all
		wantErr string
	}{
		{"grown", func(t *testing.T, p string) { appendFile(t, p, "echo\n") }, "alpha bravo charlie delta echo", ""},
		{"truncated", func(t *testing.T, p string) {
			if err := os.Truncate(p, 6); err != nil {
				t.Fatal(err)
			}
		}, "", "changed while being read: 26 bytes were read, but it is now 6 bytes long: it was truncated, so the rest cannot be read as it was; restore the file and resume from the last checkpoint (--from-checkpoint latest), or start afresh"},
		{"rewritten", func(t *testing.T, p string) { writeFile(t, p, "ALPHA\nbravo\ncharlie\ndelta\nmore lines\n") }, "",
			"but its first 26 bytes are no longer those read: it was rewritten"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "in.txt")
			writeFile(t, path, content)
			// A small read buffer would not help: the reader has the whole
			// file buffered after its first read, as with any short file.
			r := newReader(t, NewSource(path), connector.SourceContext{Parallelism: 1})
			recs, _, err := r.Fetch(context.Background(), make([]string, 0, 1))
			if err != nil {
				t.Fatal(err)
			}
			tc.change(t, path)
			var rest []string
			for err == nil {
				var batch []string
				batch, _, err = r.Fetch(context.Background(), make([]string, 0, 2))
				rest = append(rest, batch...)
			}
			if tc.wantErr == "" {
				if err != io.EOF || strings.Join(append(recs, rest...), " ") != tc.want {
					t.Fatalf("read %q then %v; want %q, EOF", append(recs, rest...), err, tc.want)
				}
				return
			}
			if err == io.EOF || !strings.Contains(err.Error(), "file source: input "+path+" changed while being read") ||
				!strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want it to contain %q", err, tc.wantErr)
			}
			if !errors.Is(err, ErrInputChanged) || !errors.Is(err, failover.ErrNoRestart) {
				t.Errorf("error %v: want it to match ErrInputChanged and failover.ErrNoRestart", err)
			}
		})
	}
}

// TestSourceMaxRecordSize (issue 11 item 10): a line longer than the
// maximum record size fails the reader with the file, the line's offset
// and its size, and is not restarted; a line of exactly the maximum is
// read. Lines longer than the read buffer are measured to their end.
func TestSourceMaxRecordSize(t *testing.T) {
	long := strings.Repeat("x", readBufferSize*3)
	tests := []struct {
		name    string
		max     int64
		content string
		want    string
		wantErr string
	}{
		{"at the limit", 5, "abcde\r\nab\n", "abcde ab", ""},
		{"over the limit", 5, "abc\nabcdef\nab\n", "",
			"the line at byte 4 is 6 bytes (6 B) long, over source.max-record-size (5 B): raise it (e.g. -D source.max-record-size=1kb) if such lines are expected, or fix the file; not restarted, since a restart would read the same line"},
		{"last line without a newline", 5, "abc\nabcdef", "", "the line at byte 4 is 6 bytes (6 B) long"},
		{"longer than the buffer", readBufferSize, "a\n" + long + "\nb\n", "",
			"the line at byte 2 is 786432 bytes (768.0 KiB) long, over source.max-record-size (256.0 KiB): raise it (e.g. -D source.max-record-size=1mb)"},
		{"long but allowed", int64(len(long)), "a\n" + long + "\nb\n", "a " + long + " b", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "in.txt")
			writeFile(t, path, tc.content)
			r := newReader(t, NewSource(path).WithMaxRecordSize(tc.max), connector.SourceContext{Parallelism: 1})
			var recs []string
			var err error
			for err == nil {
				var batch []string
				batch, _, err = r.Fetch(context.Background(), make([]string, 0, 8))
				recs = append(recs, batch...)
			}
			if tc.wantErr == "" {
				if err != io.EOF || strings.Join(recs, " ") != tc.want {
					t.Fatalf("read %d lines, %v; want %q", len(recs), err, tc.want)
				}
				return
			}
			if err == io.EOF || err.Error() != "file source: "+path+": "+tc.wantErr && !strings.HasPrefix(err.Error(), "file source: "+path+": "+tc.wantErr) {
				t.Fatalf("error %v\nwant  %q", err, tc.wantErr)
			}
			if !errors.Is(err, connector.ErrRecordTooLarge) || !errors.Is(err, failover.ErrNoRestart) {
				t.Errorf("error %v: want it to match connector.ErrRecordTooLarge and failover.ErrNoRestart", err)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path, content string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
