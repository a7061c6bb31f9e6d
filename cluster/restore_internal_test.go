package cluster

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/checkpoint/storage"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/connector/discard"
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/operator"
)

// TestNextCheckpointIDSkipsEveryStoredID (issue 11 item 3): a resumed job
// that fell back past a damaged checkpoint, with an incomplete one above
// it, takes its first new checkpoint above all of them, never an ID in
// storage ("already exists; refusing to overwrite" and a restart loop
// before).
func TestNextCheckpointIDSkipsEveryStoredID(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	st, err := storage.Open(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got, err := nextCheckpointID(ctx, st, "wc", 0); err != nil || got != 1 {
		t.Fatalf("empty job directory: next ID %d (%v), want 1", got, err)
	}
	// chk-9: damaged metadata; chk-11: state written, no metadata.
	if err := os.MkdirAll(filepath.Join(root, "wc", "chk-9"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "wc", "chk-9", "_metadata"), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "wc", "chk-11"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "wc", "chk-11", "op-count-0"), []byte("state"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := nextCheckpointID(ctx, st, "wc", 7); err != nil || got != 12 {
		t.Fatalf("next ID %d (%v), want 12: above the incomplete chk-11", got, err)
	}
	if got, err := nextCheckpointID(ctx, st, "wc", 20); err != nil || got != 21 {
		t.Fatalf("next ID %d (%v), want 21: above the floor", got, err)
	}
}

// TestCheckDirectory (issue 11 item 11): an unknown scheme and a path
// that is a file are bad options (exit 2), with the key and what to do.
func TestCheckDirectory(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "afile")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ dir, says string }{
		{"ftp://host/ckpt", `unknown scheme "ftp": use a directory path, file://, s3:// or mem://`},
		{file, file + " is a file, not a directory"},
		{filepath.Join(file, "below"), file + " is a file, not a directory"},
		{"file://" + file, file + " is a file, not a directory"},
	} {
		err := checkDirectory(tc.dir)
		if !errors.Is(err, config.ErrInvalidValue) || !strings.Contains(err.Error(), "execution.checkpointing.dir") || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want an invalid execution.checkpointing.dir saying %q", tc.dir, err, tc.says)
		}
	}
	for _, ok := range []string{filepath.Join(dir, "new", "ckpt"), dir, "s3://bucket/x", "mem://"} {
		if err := checkDirectory(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

// identityGraph plans a job reading datagen with seed, its operators of
// the given UIDs.
func identityGraph(t *testing.T, seed uint64, srcUID, sinkUID string) *graph.Graph {
	t.Helper()
	// The graph the API builds for
	// FromSource(datagen).UID(srcUID).SinkTo(discard).UID(sinkUID).
	var g graph.Graph
	src := datagen.New(10, seed, func(i int64, _ uint64) int64 { return i })
	s := g.Add(&graph.Node{Name: "Numbers", UID: srcUID, Kind: graph.KindSource, Impl: &operator.SourceNode[int64]{Source: src}})
	g.Add(&graph.Node{Name: "Discard", UID: sinkUID, Kind: graph.KindSink, Inputs: []graph.Edge{{From: s.ID}},
		Impl: &operator.SinkNode[int64]{Sink: discard.New[int64]()}})
	if err := g.Resolve(1, 128); err != nil {
		t.Fatal(err)
	}
	return &g
}

// TestIdentityMismatch (issue 11 item 2): a checkpoint records the job's
// operator UIDs and what its sources read; a restore by another job of
// the same directory name, with another source configuration, or with no
// operator in common is refused with what differs; the same job, and a
// checkpoint without the identity (an older version's), pass.
func TestIdentityMismatch(t *testing.T) {
	g := identityGraph(t, 1, "source", "sink")
	props := map[string]string{}
	identityProps(g, props)
	if props[checkpoint.PropOperatorUIDs] != "sink,source" || props[checkpoint.PropSourcePrefix+"source"] != "datagen count=10 seed=1" {
		t.Fatalf("identity properties %v", props)
	}
	cp := &checkpoint.CompletedCheckpoint{ID: 4, Job: "wc", Properties: props}
	if why := identityMismatch(cp, "wc", g); why != "" {
		t.Fatalf("the same job: %s", why)
	}
	if why := identityMismatch(&checkpoint.CompletedCheckpoint{ID: 4}, "wc", g); why != "" {
		t.Fatalf("a checkpoint without identity: %s", why)
	}
	// "w c" and "w_c" share the job directory w_c.
	other := &checkpoint.CompletedCheckpoint{ID: 4, Job: "w c", Properties: props}
	for _, tc := range []struct {
		name string
		cp   *checkpoint.CompletedCheckpoint
		job  string
		g    *graph.Graph
		says string
	}{
		{"other name, same directory", other, "w_c", g, `it belongs to job "w c", not "w_c"`},
		{"other seed", cp, "wc", identityGraph(t, 2, "source", "sink"), `its source "source" read datagen count=10 seed=1, and this job's reads datagen count=10 seed=2`},
		{"no shared operator", cp, "wc", identityGraph(t, 1, "src2", "sink2"), "its operators (UIDs sink,source) are none of this job's"},
	} {
		if why := identityMismatch(tc.cp, tc.job, tc.g); why != tc.says {
			t.Errorf("%s: %q, want %q", tc.name, why, tc.says)
		}
		err := checkIdentity(tc.cp, tc.job, tc.g)
		if !errors.Is(err, ErrRestore) || !strings.Contains(err.Error(), "checkpoint 4 is another job's: "+tc.says) ||
			!strings.Contains(err.Error(), "-D pipeline.name=NAME") {
			t.Errorf("%s: checkIdentity: %v", tc.name, err)
		}
	}
}

// TestJobNameFromPipelineName (issue 11 item 2): -D pipeline.name=X names
// the job (and so its checkpoint directory); blank means the built-in
// name.
func TestJobNameFromPipelineName(t *testing.T) {
	for _, tc := range []struct{ set, want string }{{"", "wordcount"}, {"  ", "wordcount"}, {"nightly", "nightly"}} {
		c := config.New()
		if tc.set != "" {
			if err := c.SetPairs([]string{"pipeline.name=" + tc.set}); err != nil {
				t.Fatal(err)
			}
		}
		if got := jobName(c, "wordcount"); got != tc.want {
			t.Errorf("pipeline.name %q: job %q, want %q", tc.set, got, tc.want)
		}
	}
}
