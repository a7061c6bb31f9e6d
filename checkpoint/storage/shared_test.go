package storage

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/weirstream/weir/checkpoint"
)

// TestCollectShared: a shared file goes when no checkpoint references it,
// unless it may belong to a checkpoint in progress (newer than the newest
// complete one) and the job is not idle.
func TestCollectShared(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	write := func(id checkpoint.ID, name string) checkpoint.FileRef {
		ref, err := st.WriteSharedFile(ctx, "j", SharedName(id, name), strings.NewReader("sst "+name))
		if err != nil {
			t.Fatal(err)
		}
		return ref
	}
	kept := write(1, "a-0-000001.sst") // referenced by checkpoint 2
	write(1, "a-0-000002.sst")         // compacted away: nobody refers to it
	write(2, "a-0-000003.sst")         // uploaded for a checkpoint that failed
	write(3, "a-0-000004.sst")         // uploaded for checkpoint 3, in progress
	cp := &checkpoint.CompletedCheckpoint{ID: 2, Job: "j", Operators: map[string]*checkpoint.OperatorState{
		"a": {Parallelism: 1, MaxParallelism: 128, Subtasks: []checkpoint.OperatorSubtaskState{{OperatorUID: "a",
			Keyed: []checkpoint.KeyedStateHandle{{KeyGroups: checkpoint.KeyGroupRange{End: 128}, Format: checkpoint.FormatPebble,
				Files: []checkpoint.NamedFile{{Name: "000001.sst", File: kept}}}}}}}}}
	if err := st.WriteMetadata(ctx, "j", cp); err != nil {
		t.Fatal(err)
	}
	stored := func() []string {
		u, err := st.SharedFiles(ctx, "j")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for p := range u.Stored {
			out = append(out, p)
		}
		slices.Sort(out)
		return out
	}
	if n, err := st.CollectShared(ctx, "j", false); err != nil || n != 2 {
		t.Fatalf("collected %d, %v; want 2", n, err)
	}
	if got, want := stored(), []string{"shared/c1/a-0-000001.sst", "shared/c3/a-0-000004.sst"}; !slices.Equal(got, want) {
		t.Fatalf("after collecting while running: %v, want %v", got, want)
	}
	if n, err := st.CollectShared(ctx, "j", true); err != nil || n != 1 {
		t.Fatalf("collected %d, %v when idle; want 1", n, err)
	}
	if got, want := stored(), []string{"shared/c1/a-0-000001.sst"}; !slices.Equal(got, want) {
		t.Fatalf("after collecting when idle: %v, want %v", got, want)
	}
	if err := st.Discard(ctx, "j", 2); err != nil {
		t.Fatal(err)
	}
	if n, err := st.CollectShared(ctx, "j", true); err != nil || n != 1 {
		t.Fatalf("collected %d, %v after the last checkpoint went; want 1", n, err)
	}
	if got := stored(); len(got) != 0 {
		t.Fatalf("left behind: %v", got)
	}
}
