package objstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var ctx = context.Background()

type store interface {
	Get(ctx context.Context, key string) (Reader, error)
	Stat(ctx context.Context, key string) (int64, error)
	Put(ctx context.Context, key string, r io.Reader, ifNotExist bool) error
	Delete(ctx context.Context, key string) error
	List(ctx context.Context, prefix, delimiter string) iter.Seq2[Entry, error]
}

// failingReader yields some bytes, then an error.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("disk on fire")
	}
	n := min(len(p), f.n)
	f.n -= n
	return n, nil
}

func listKeys(t *testing.T, s store, prefix, delim string) []string {
	t.Helper()
	var out []string
	for e, err := range s.List(ctx, prefix, delim) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e.Key)
	}
	return out
}

// exercise checks what checkpoint storage and the file sink rely on, under
// root (a key prefix of the test's own).
func exercise(t *testing.T, s store, root string) {
	for _, k := range []string{"a/x", "a/y/1", "a/y/2", "a-b", "b"} {
		if err := s.Put(ctx, root+k, strings.NewReader("data of "+k), false); err != nil {
			t.Fatal(err)
		}
	}
	r, err := s.Get(ctx, root+"a/y/1")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(r)
	r.Close()
	if string(data) != "data of a/y/1" || r.Size() != int64(len(data)) {
		t.Fatalf("Get: %q, size %d", data, r.Size())
	}
	if got, want := listKeys(t, s, root, ""), []string{root + "a-b", root + "a/x", root + "a/y/1", root + "a/y/2", root + "b"}; !slices.Equal(got, want) {
		t.Fatalf("List = %q, want %q", got, want)
	}
	if got, want := listKeys(t, s, root, "/"), []string{root + "a-b", root + "a/", root + "b"}; !slices.Equal(got, want) {
		t.Fatalf("List with delimiter = %q, want %q", got, want)
	}
	if got, want := listKeys(t, s, root+"a/", "/"), []string{root + "a/x", root + "a/y/"}; !slices.Equal(got, want) {
		t.Fatalf("List a/ with delimiter = %q, want %q", got, want)
	}

	// A failed write leaves nothing, not even a listing entry.
	if err := s.Put(ctx, root+"c", &failingReader{n: 100}, false); err == nil {
		t.Fatal("Put from a failing reader succeeded")
	}
	if _, err := s.Stat(ctx, root+"c"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after a failed Put: %v", err)
	}
	// ifNotExist keeps what is there.
	if err := s.Put(ctx, root+"b", strings.NewReader("other"), true); !errors.Is(err, ErrExists) {
		t.Fatalf("Put ifNotExist over an object: %v", err)
	}
	if n, err := s.Stat(ctx, root+"b"); err != nil || n != int64(len("data of b")) {
		t.Fatalf("Stat b: %d %v", n, err)
	}

	for _, k := range []string{"a/x", "a/y/1", "a/y/2", "a-b", "b", "never-written"} {
		if err := s.Delete(ctx, root+k); err != nil {
			t.Fatalf("Delete %s: %v", k, err)
		}
	}
	if _, err := s.Get(ctx, root+"b"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	if got := listKeys(t, s, root, ""); len(got) != 0 {
		t.Fatalf("List after Delete: %q", got)
	}
}

func TestDir(t *testing.T) {
	dir := t.TempDir()
	d, err := OpenDir(filepath.Join(dir, "root"), true)
	if err != nil {
		t.Fatal(err)
	}
	exercise(t, d, "")
	// No temporary file is left by the failed write.
	var left []string
	filepath.WalkDir(d.Root(), func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			left = append(left, p)
		}
		return nil
	})
	if len(left) != 0 {
		t.Fatalf("files left: %q", left)
	}
	if _, err := d.Get(ctx, "../escape"); err == nil {
		t.Fatal("a key outside the directory was accepted")
	}
	if _, err := OpenDir(filepath.Join(dir, "missing"), false); err == nil {
		t.Fatal("OpenDir without create accepted a missing directory")
	}
}

func TestMem(t *testing.T) { exercise(t, NewMem(), "") }

// s3FromEnv opens the bucket of WEIR_TEST_S3_URL (scripts/s3-server.sh
// start DIR prints it) or skips.
func s3FromEnv(t *testing.T) *S3 {
	loc := os.Getenv("WEIR_TEST_S3_URL")
	if loc == "" {
		t.Skip("WEIR_TEST_S3_URL is not set: run `eval \"$(scripts/s3-server.sh start /tmp/weir-s3)\"` to test against a real S3-compatible server")
	}
	s, _, err := OpenS3(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestS3(t *testing.T) {
	s := s3FromEnv(t)
	root := fmt.Sprintf("objstore-test-%d/", time.Now().UnixNano())
	exercise(t, s, root)

	// A stream longer than one part goes up as a multipart upload and
	// comes back whole; none is left in progress.
	big := bytes.Repeat([]byte("0123456789abcdef"), (putPartSize+MinPartSize)/16)
	if err := s.Put(ctx, root+"big", bytes.NewReader(big), false); err != nil {
		t.Fatal(err)
	}
	r, err := s.Get(ctx, root+"big")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, big) {
		t.Fatalf("big object: %d bytes back, %d written", len(got), len(big))
	}
	// A multipart write that fails is aborted: nothing visible, nothing
	// in progress.
	if err := s.Put(ctx, root+"broken", io.MultiReader(bytes.NewReader(big), &failingReader{}), false); err == nil {
		t.Fatal("Put from a failing reader succeeded")
	}
	if _, err := s.Stat(ctx, root+"broken"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after a failed multipart Put: %v", err)
	}
	if ups, err := s.ListUploads(ctx, root); err != nil || len(ups) != 0 {
		t.Fatalf("uploads left: %v %v", ups, err)
	}
	if err := s.Delete(ctx, root+"big"); err != nil {
		t.Fatal(err)
	}

	// An upload completed twice: the second says ErrNoSuchUpload.
	id, err := s.CreateUpload(ctx, root+"mp")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.UploadPart(ctx, root+"mp", id, 1, []byte("small last part"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteUpload(ctx, root+"mp", id, []Part{p}); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteUpload(ctx, root+"mp", id, []Part{p}); err != nil && !errors.Is(err, ErrNoSuchUpload) {
		t.Fatalf("second complete: %v", err)
	}
	if err := s.AbortUpload(ctx, root+"mp", id); err != nil {
		t.Fatalf("abort of a completed upload: %v", err)
	}
	if n, err := s.Stat(ctx, root+"mp"); err != nil || n != int64(len("small last part")) {
		t.Fatalf("completed object: %d %v", n, err)
	}
	s.Delete(ctx, root+"mp")
}

func TestOpenS3Options(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "x")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "x")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	for loc, want := range map[string]string{
		"s3://b?colour=blue":                        `unknown query parameter "colour"`,
		"s3:///x":                                   "names no bucket",
		"s3://b?use_path_style=maybe":               `invalid value for "use_path_style"`,
		"s3://b?ssetype=rot13":                      `"rot13" is not a valid value for "ssetype"`,
		"s3://b?role=admin&region=x":                "invalid value for role",
		"s3://b?request_checksum_calculation=never": `invalid value for "request_checksum_calculation"`,
	} {
		if _, _, err := OpenS3(ctx, loc); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("OpenS3(%q) = %v, want %q", loc, err, want)
		}
	}
	s, prefix, err := OpenS3(ctx, "s3://b/x/y/?prefix=/p/&region=us-east-1&endpoint=http://127.0.0.1:1&use_path_style=true&disable_https=true&awssdk=v2")
	if err != nil || s.Bucket() != "b" || prefix != "p/x/y" {
		t.Fatalf("OpenS3: %v, bucket %v, prefix %q", err, s, prefix)
	}
}
