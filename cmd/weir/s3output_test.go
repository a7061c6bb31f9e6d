package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/internal/objstore"
)

// s3Output is an --output location of the test's own under the bucket of
// WEIR_TEST_S3_URL (scripts/test.sh starts an S3-compatible server and sets
// it), with the bucket opened for looking and the key prefix; or it skips.
func s3Output(t *testing.T) (loc string, st *objstore.S3, prefix string) {
	t.Helper()
	env := os.Getenv("WEIR_TEST_S3_URL")
	if env == "" {
		t.Skip("WEIR_TEST_S3_URL is not set: scripts/test.sh starts an S3-compatible server and sets it " +
			"(or run `eval \"$(scripts/s3-server.sh start .testenv)\"`)")
	}
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" || os.Getenv("AWS_SECRET_ACCESS_KEY") == "" {
		t.Skip("WEIR_TEST_S3_URL is set but AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not")
	}
	u, err := url.Parse(env)
	if err != nil {
		t.Fatalf("WEIR_TEST_S3_URL: %v", err)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + fmt.Sprintf("/output-test-%d/out", time.Now().UnixNano())
	st, prefix, err = objstore.OpenS3(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	prefix += "/"
	t.Cleanup(func() {
		ctx := context.Background()
		for e, err := range st.List(ctx, prefix, "") {
			if err == nil {
				st.Delete(ctx, e.Key)
			}
		}
	})
	return u.String(), st, prefix
}

var partName = regexp.MustCompile(`^part-\d+-\d+$`)

// s3Parts reads the objects under prefix by name (relative to it). Any
// object that is not a published part file, and any multipart upload left
// in progress, fails the test.
func s3Parts(t *testing.T, st *objstore.S3, prefix string) map[string]string {
	t.Helper()
	ctx := context.Background()
	parts := s3Objects(t, st, prefix)
	for name := range parts {
		if !partName.MatchString(name) {
			t.Fatalf("object %s under the output prefix is not a part file", name)
		}
	}
	ups, err := st.ListUploads(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) > 0 {
		t.Fatalf("%d multipart uploads left in progress, the first %s", len(ups), ups[0].Key)
	}
	return parts
}

// The word count writes to S3 exactly the part files it writes to a local
// directory, names and bytes, with nothing else left in the bucket.
func TestS3OutputWordCount(t *testing.T) {
	loc, st, prefix := s3Output(t)
	dir := t.TempDir()
	text, want := corpus(3000)
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{"out", loc} {
		r := runWeirIn(t, dir, "", "run", "wordcount", "--no-web", "--input", "in.txt", "--output", out, "-p", "2")
		if r.code != 0 {
			t.Fatalf("--output %s: exit %d: %s", out, r.code, r.stderr)
		}
	}
	local := committedParts(t, filepath.Join(dir, "out"))
	remote := s3Parts(t, st, prefix)
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range remote {
			if !yield(k) {
				return
			}
		}
	})
	if want := []string{"part-0-0", "part-1-0"}; !slices.Equal(names, want) {
		t.Fatalf("objects %q, want %q", names, want)
	}
	for name, text := range local {
		if remote[name] != text {
			t.Fatalf("%s: %d bytes in S3, %d in the local directory", name, len(remote[name]), len(text))
		}
	}
	checkUpdates(t, remote["part-0-0"]+remote["part-1-0"], want)
}

// A word count writing to S3, killed with SIGKILL after some checkpoints
// and resumed from the latest one, ends with every update in S3 exactly
// once: no duplicate, no loss, no partial or hidden object, and no
// multipart upload left in progress.
func TestS3OutputKillAndResume(t *testing.T) {
	loc, st, prefix := s3Output(t)
	c := killAfterCheckpoints(t, 2, 3, "--output", loc)
	// What the killed run made visible is committed output: whole part
	// files that the resumed run leaves as they are.
	before := s3Objects(t, st, prefix)
	// A part file the killed run had started to upload (what a kill in the
	// middle of a large part file leaves, which this short run may not):
	// the resumed run aborts it, and it never appears.
	ctx := context.Background()
	id, err := st.CreateUpload(ctx, prefix+"part-1-999")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.UploadPart(ctx, prefix+"part-1-999", id, 1, []byte("w1,1000000\n")); err != nil {
		t.Fatal(err)
	}
	c.resume(t, "-p", "2", "--from-checkpoint", "latest")
	after := s3Parts(t, st, prefix)
	for name, text := range before {
		if after[name] != text {
			t.Fatalf("%s changed after the kill: %d bytes, then %d", name, len(text), len(after[name]))
		}
	}
	var lines []string
	for _, text := range after {
		if s := strings.TrimSpace(text); s != "" {
			lines = append(lines, strings.Split(s, "\n")...)
		}
	}
	var expected []string
	for w, n := range c.want {
		for i := int64(1); i <= n; i++ {
			expected = append(expected, fmt.Sprintf("%s,%d", w, i))
		}
	}
	slices.Sort(lines)
	slices.Sort(expected)
	if !slices.Equal(lines, expected) {
		t.Fatalf("%d updates in S3, want %d exactly once", len(lines), len(expected))
	}
}

// s3Objects reads the objects under prefix by name, without checking
// names or uploads (the killed run's are still in progress).
func s3Objects(t *testing.T, st *objstore.S3, prefix string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for e, err := range st.List(ctx, prefix, "") {
		if err != nil {
			t.Fatal(err)
		}
		r, err := st.Get(ctx, e.Key)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimPrefix(e.Key, prefix)] = string(b)
	}
	return out
}
