package storage

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestRemoveEmptyCheckpointDirs: the empty directory tree a kill leaves in
// the middle of a Discard goes; a checkpoint directory with a file stays.
func TestRemoveEmptyCheckpointDirs(t *testing.T) {
	root := t.TempDir()
	st, err := Open(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	job := filepath.Join(root, JobDir("wc"))
	os.MkdirAll(filepath.Join(job, "chk-1", "op-0-keyed"), 0o755)
	os.MkdirAll(filepath.Join(job, "chk-2"), 0o755)
	os.WriteFile(filepath.Join(job, "chk-2", MetadataName), []byte("x"), 0o644)
	os.MkdirAll(filepath.Join(job, "shared"), 0o755)
	st.RemoveEmptyCheckpointDirs("wc")
	if _, err := os.Stat(filepath.Join(job, "chk-1")); !os.IsNotExist(err) {
		t.Errorf("empty chk-1 left (%v)", err)
	}
	for _, keep := range []string{"chk-2", "shared"} {
		if _, err := os.Stat(filepath.Join(job, keep)); err != nil {
			t.Errorf("%s removed: %v", keep, err)
		}
	}
}
