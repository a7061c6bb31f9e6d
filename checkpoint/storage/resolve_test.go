package storage

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolvePath(t *testing.T) {
	root := t.TempDir()
	st, err := Open(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	writeCheckpoint(t, st, "wc", 11)
	writeCheckpoint(t, st, "wc", 12)
	damage(t, st, "wc", "chk-12/op-count-0", flip(7))
	if _, err := st.WriteStateBytes(ctx, "wc", 13, "op-count-0", bigState(1)); err != nil {
		t.Fatal(err)
	}
	writeCheckpoint(t, st, "broken", 1)
	damage(t, st, "broken", "chk-1/_metadata", flip(20))
	os.MkdirAll(filepath.Join(root, "empty"), 0o755)
	os.WriteFile(filepath.Join(root, "notes.txt"), []byte("x"), 0o644)

	chk11 := filepath.Join(root, "wc", "chk-11")
	for _, p := range []string{chk11, chk11 + "/", chk11 + "/_metadata", "file://" + chk11} {
		r, err := ResolvePath(ctx, p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if r.Checkpoint.ID != 11 || r.Job != "wc" || r.Checkpoint.ExternalPath != chk11 {
			t.Fatalf("%s: %d %s %s", p, r.Checkpoint.ID, r.Job, r.Checkpoint.ExternalPath)
		}
		// State files resolve relative to the job's directory.
		ref := r.Checkpoint.Operators["count"].Subtasks[0].Keyed[0].File
		if _, err := r.Storage.ReadStateFile(ctx, r.Job, ref); err != nil {
			t.Fatal(err)
		}
		r.Storage.Close()
	}

	// A job directory means its latest intact checkpoint.
	r, err := ResolvePath(ctx, filepath.Join(root, "wc"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Checkpoint.ID != 11 || len(r.Skipped) != 2 {
		t.Fatalf("latest %d, skipped %v", r.Checkpoint.ID, r.Skipped)
	}
	if got := r.Skipped[0].String() + "; " + r.Skipped[1].String(); !strings.Contains(got,
		"checkpoint 13 is incomplete (no _metadata); checkpoint 12 is damaged (chk-12/op-count-0: checksum mismatch") {
		t.Fatalf("skipped: %s", got)
	}
	r.Storage.Close()

	for _, tc := range []struct {
		path string
		err  error
		msg  string
	}{
		{filepath.Join(root, "wc", "chk-99"), ErrNotFound, "checkpoint path " + filepath.Join(root, "wc", "chk-99") + " does not exist"},
		{filepath.Join(root, "nope"), ErrNotFound, "checkpoint path " + filepath.Join(root, "nope") + " does not exist"},
		{filepath.Join(root, "notes.txt"), ErrNotCheckpoint, filepath.Join(root, "notes.txt") + " is not a checkpoint: it is a file; expected a chk-<n> directory, its _metadata file, or a job directory holding chk-<n> directories"},
		{filepath.Join(root, "empty"), ErrNotCheckpoint, filepath.Join(root, "empty") + " is not a checkpoint: it holds no chk-<n> directories; expected"},
		{filepath.Join(root, "wc", "chk-12"), ErrCorrupt, "checkpoint " + filepath.Join(root, "wc", "chk-12") + " is damaged: chk-12/op-count-0: checksum mismatch (CRC32C "},
		{filepath.Join(root, "wc", "chk-13"), ErrIncomplete, "checkpoint " + filepath.Join(root, "wc", "chk-13") + " is incomplete: it has no _metadata, so it never completed"},
		{filepath.Join(root, "broken"), ErrNoCheckpoint, "no complete checkpoint under " + filepath.Join(root, "broken") + ": checkpoint 1 is damaged (chk-1/_metadata: checksum mismatch"},
		{filepath.Join(root, "broken", "chk-1", "_metadata"), ErrCorrupt, "is damaged: chk-1/_metadata: checksum mismatch"},
		{"/", ErrNotCheckpoint, "/ is not a checkpoint: it names no job directory"},
		{"gs://bucket/wc/chk-1", ErrUnsupportedScheme, `checkpoint path gs://bucket/wc/chk-1: unsupported scheme "gs"`},
		{"mem://resolve-test/wc/chk-1", ErrNotFound, "checkpoint path mem://resolve-test/wc/chk-1 does not exist"},
		{"mem://resolve-test/wc", ErrNotFound, "checkpoint path mem://resolve-test/wc does not exist"},
	} {
		_, err := ResolvePath(ctx, tc.path)
		var pe *PathError
		if !errors.As(err, &pe) || !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("ResolvePath(%s):\n got  %v\n want %q (%v)", tc.path, err, tc.msg, tc.err)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("ResolvePath(%s): more than one line: %q", tc.path, err)
		}
	}

	// mem:// and s3:// paths: the storage root is everything before the job.
	mem, _ := Open(ctx, "mem://resolve-test/base/dir")
	writeCheckpoint(t, mem, "wc", 5)
	for _, p := range []string{"mem://resolve-test/base/dir/wc/chk-5", "mem://resolve-test/base/dir/wc/chk-5/_metadata", "mem://resolve-test/base/dir/wc"} {
		r, err := ResolvePath(ctx, p)
		if err != nil || r.Checkpoint.ID != 5 || r.Checkpoint.ExternalPath != "mem://resolve-test/base/dir/wc/chk-5" {
			t.Fatalf("%s: %v", p, err)
		}
	}
}
