package file

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/internal/objstore"
)

// s3Location is a fresh prefix in the bucket of WEIR_TEST_S3_URL (a real
// S3-compatible server: scripts/s3-server.sh start DIR prints it), with
// the URL's options, and the bucket opened for looking; or it skips.
func s3Location(t *testing.T) (string, *objstore.S3, string) {
	t.Helper()
	loc := os.Getenv("WEIR_TEST_S3_URL")
	if loc == "" {
		t.Skip("WEIR_TEST_S3_URL is not set: run `eval \"$(scripts/s3-server.sh start /tmp/weir-s3)\"` to test against a real S3-compatible server")
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + fmt.Sprintf("/sink-test-%d", time.Now().UnixNano())
	st, prefix, err := objstore.OpenS3(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	return u.String(), st, prefix + "/"
}

// objects reads every object under prefix, by name relative to it.
func objects(t *testing.T, st *objstore.S3, prefix string) map[string]string {
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

func uploads(t *testing.T, st *objstore.S3, prefix string) []string {
	t.Helper()
	ups, err := st.ListUploads(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, u := range ups {
		keys = append(keys, strings.TrimPrefix(u.Key, prefix))
	}
	slices.Sort(keys)
	return keys
}

func writeLines(t *testing.T, w connector.SinkWriter[string], lines ...string) {
	t.Helper()
	for _, l := range lines {
		if err := w.Write(l); err != nil {
			t.Fatal(err)
		}
	}
}

// The two-phase contract on S3: nothing is visible before the checkpoint
// that covers it completes; a part file larger than S3's minimum part goes
// up in several parts; Close aborts what no checkpoint refers to; a new
// attempt's Recover completes the committables of the checkpoint it
// restores (twice is fine) and aborts every other upload.
func TestS3SinkTwoPhase(t *testing.T) {
	ctx := context.Background()
	loc, st, prefix := s3Location(t)
	sink := NewS3Sink(loc)
	if err := sink.Recover(ctx, nil); err != nil {
		t.Fatal(err)
	}
	w, err := sink.CreateWriter(connector.SinkContext{Subtask: 0, Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	cw := w.(connector.CheckpointedSinkWriter)

	// Checkpoint 1: a part file of more than 5 MiB (two parts) and one line.
	big := strings.Repeat("x", 1<<20)
	for range 6 {
		writeLines(t, w, big)
	}
	writeLines(t, w, "last")
	if err := w.Flush(false); err != nil {
		t.Fatal(err)
	}
	c1, err := cw.PrepareCommit(1)
	if err != nil || len(c1) != 1 {
		t.Fatalf("PrepareCommit(1): %d committables, %v", len(c1), err)
	}
	// Checkpoint 2: one small part file.
	writeLines(t, w, "a", "b")
	c2, err := cw.PrepareCommit(2)
	if err != nil || len(c2) != 2 {
		t.Fatalf("PrepareCommit(2): %d committables (want checkpoint 1's again and its own), %v", len(c2), err)
	}
	if got := objects(t, st, prefix); len(got) != 0 {
		t.Fatalf("visible before any checkpoint completed: %v", slices.Collect(mapsKeys(got)))
	}
	if got, want := uploads(t, st, prefix), []string{"part-0-0", "part-0-1"}; !slices.Equal(got, want) {
		t.Fatalf("uploads in progress %q, want %q", got, want)
	}
	// Checkpoint 1 completes: only its file appears, whole.
	if err := cw.NotifyCheckpointComplete(1); err != nil {
		t.Fatal(err)
	}
	got := objects(t, st, prefix)
	if want := strings.Repeat(big+"\n", 6) + "last\n"; len(got) != 1 || got["part-0-0"] != want {
		t.Fatalf("after checkpoint 1: %d objects, part-0-0 has %d bytes, want %d", len(got), len(got["part-0-0"]), len(want))
	}
	// More output, then the process dies (Close) before checkpoint 2's
	// notification: the line written after it is aborted.
	writeLines(t, w, "after checkpoint 2")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := uploads(t, st, prefix), []string{"part-0-1"}; !slices.Equal(got, want) {
		t.Fatalf("uploads after Close %q, want %q (checkpoint 2's)", got, want)
	}

	// A new attempt that restores checkpoint 2, twice (a restore cut short
	// and repeated): checkpoint 1's file is completed already, 2's now.
	for range 2 {
		again := NewS3Sink(loc)
		if err := again.Recover(ctx, c2); err != nil {
			t.Fatal(err)
		}
	}
	got = objects(t, st, prefix)
	if len(got) != 2 || got["part-0-1"] != "a\nb\n" {
		t.Fatalf("after restoring checkpoint 2: %q", slices.Collect(mapsKeys(got)))
	}
	if ups := uploads(t, st, prefix); len(ups) != 0 {
		t.Fatalf("uploads left: %q", ups)
	}
	// The next writer does not reuse a name.
	w2, err := NewS3Sink(loc).CreateWriter(connector.SinkContext{Subtask: 0, Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	writeLines(t, w2, "c")
	c3, _ := w2.(connector.CheckpointedSinkWriter).PrepareCommit(3)
	if err := w2.(connector.CheckpointedSinkWriter).NotifyCheckpointComplete(3); err != nil || len(c3) != 1 {
		t.Fatal(err)
	}
	w2.Close()
	if got := objects(t, st, prefix); got["part-0-2"] != "c\n" {
		t.Fatalf("third part file: %q", slices.Collect(mapsKeys(got)))
	}

	// An upload that was aborted although a checkpoint committed it: the
	// records are lost, and Recover says so.
	w3, _ := NewS3Sink(loc).CreateWriter(connector.SinkContext{Subtask: 1, Parallelism: 2})
	writeLines(t, w3, "lost")
	c4, _ := w3.(connector.CheckpointedSinkWriter).PrepareCommit(4)
	if err := NewS3Sink(loc).Recover(ctx, nil); err != nil { // a fresh start aborts it
		t.Fatal(err)
	}
	err = NewS3Sink(loc).Recover(ctx, c4)
	if err == nil || !strings.Contains(err.Error(), "committed part file "+prefix+"part-1-0 is missing and its upload is gone") {
		t.Fatalf("Recover of an aborted upload: %v", err)
	}
	w3.Close()
	for e := range st.List(ctx, prefix, "") {
		st.Delete(ctx, e.Key)
	}
}

func mapsKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestS3SinkBadLocation(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	for loc, want := range map[string]string{
		"s3://bucket/out?colour=blue": `file sink s3://bucket/out: unknown query parameter "colour"`,
		"s3:///out":                   "file sink s3:///out: names no bucket",
	} {
		if err := NewS3Sink(loc).Check(); err == nil || err.Error() != want && !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Check(%q) = %v, want %q", loc, err, want)
		}
	}
}
