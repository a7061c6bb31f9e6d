package file

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/failover"
)

func TestLocalPath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"out", "out"},
		{"/abs/out", "/abs/out"},
		{"a:b/c", "a:b/c"},         // no "://": a path
		{"dir/x://y", "dir/x://y"}, // "dir/x" is no scheme
		{"file:///abs/out", "/abs/out"},
		{"file://localhost/abs/out", "/abs/out"},
		{"FILE:///abs/out", "/abs/out"},
		{"file://./rel/out", "rel/out"},
	} {
		got, err := LocalPath(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("LocalPath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, says string }{
		{"s3://bucket/out", "s3:// URLs are not supported, only local paths (path, /abs/path or file:///abs/path)"},
		{"S3A://bucket/out", "s3a:// URLs are not supported"},
		{"hdfs://nn:8020/out", "hdfs:// URLs are not supported"},
		{"gs://b/o", "gs:// URLs are not supported"},
		{"file://host/out", "file:// URLs name no host"},
		{"file://", "file:// URLs name no host"},
		{"file:///out?x=1", "file:// URLs take no query"},
	} {
		_, err := LocalPath(tc.in)
		if err == nil || err.Error()[:min(len(err.Error()), len(tc.says))] != tc.says {
			t.Errorf("LocalPath(%q): %v; want an error starting %q", tc.in, err, tc.says)
			continue
		}
		if !errors.Is(err, ErrUnsupportedLocation) || !errors.Is(err, failover.ErrNoRestart) {
			t.Errorf("LocalPath(%q): %v matches not both ErrUnsupportedLocation and failover.ErrNoRestart", tc.in, err)
		}
	}
}

// An s3:// URL given to the Go API is refused when the job starts the sink
// or source, and nothing is written to a local directory named "s3:".
func TestURLRefusedNotWrittenLocally(t *testing.T) {
	dir := t.TempDir()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)

	const want = `file sink "s3://bucket/out": s3:// URLs are not supported, only local paths (path, /abs/path or file:///abs/path)`
	s := NewSink("s3://bucket/out")
	if _, err := s.CreateWriter(connector.SinkContext{Parallelism: 1}); err == nil || err.Error() != want || !errors.Is(err, ErrUnsupportedLocation) || !errors.Is(err, failover.ErrNoRestart) {
		t.Fatalf("CreateWriter: %v; want %q", err, want)
	}
	if err := s.Recover(t.Context(), nil); err == nil || err.Error() != want {
		t.Fatalf("Recover: %v; want %q", err, want)
	}
	src := NewSource("s3://bucket/in")
	const wantSrc = `file source "s3://bucket/in": s3:// URLs are not supported, only local paths (path, /abs/path or file:///abs/path)`
	if _, err := src.Files(); err == nil || err.Error() != wantSrc || !errors.Is(err, ErrUnsupportedLocation) {
		t.Fatalf("Files: %v; want %q", err, wantSrc)
	}
	if _, err := src.CreateReader(connector.SourceContext{Parallelism: 1, Restored: [][]byte{}}); err == nil || err.Error() != wantSrc {
		t.Fatalf("CreateReader: %v; want %q", err, wantSrc)
	}
	if _, err := os.Stat(filepath.Join(dir, "s3:")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a local directory s3: was made (stat: %v)", err)
	}
}

// file:///abs/dir is the local directory /abs/dir.
func TestFileURLIsLocalPath(t *testing.T) {
	dir := t.TempDir()
	w, err := NewSink("file://" + filepath.ToSlash(dir)).CreateWriter(connector.SinkContext{Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := os.Stat(filepath.Join(dir, InProgressName(0, 0))); err != nil {
		t.Fatalf("no part file in %s: %v", dir, err)
	}
}
