package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/checkpoint"
)

var ctx = context.Background()

// bigState is larger than the inline threshold, so it becomes a file.
func bigState(seed byte) []byte {
	b := make([]byte, DefaultInlineThreshold+1000)
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

// writeCheckpoint writes the state of checkpoint id (two file-backed
// subtasks and one inline) and its metadata, the way the runtime and the
// driver would.
func writeCheckpoint(t *testing.T, st *Storage, job string, id checkpoint.ID) *checkpoint.CompletedCheckpoint {
	t.Helper()
	var subtasks []checkpoint.OperatorSubtaskState
	for sub := range 2 {
		ref, err := st.WriteStateBytes(ctx, job, id, fmt.Sprintf("op-count-%d", sub), bigState(byte(sub)+byte(id)))
		if err != nil {
			t.Fatal(err)
		}
		if ref.IsInline() || ref.Path != fmt.Sprintf("chk-%d/op-count-%d", id, sub) {
			t.Fatalf("unexpected ref %+v", ref)
		}
		subtasks = append(subtasks, checkpoint.OperatorSubtaskState{
			OperatorUID: "count", Subtask: sub,
			Keyed: []checkpoint.KeyedStateHandle{{
				KeyGroups: checkpoint.KeyGroupRangeFor(128, 2, sub),
				File:      ref,
				Offsets:   make([]int64, 64),
			}},
		})
	}
	small, err := st.WriteStateFile(ctx, job, id, "op-source-0", strings.NewReader(`{"offset":42}`))
	if err != nil {
		t.Fatal(err)
	}
	if !small.IsInline() || small.Size != 13 {
		t.Fatalf("small state not inlined: %+v", small)
	}
	ts := time.Date(2025, 3, 1, 12, 0, 0, 123, time.UTC).Add(time.Duration(id) * time.Minute)
	cp := &checkpoint.CompletedCheckpoint{
		ID: id, Job: job, Kind: checkpoint.KindCheckpoint, Timestamp: ts, Duration: 1500 * time.Millisecond,
		Properties: map[string]string{checkpoint.PropMode: "EXACTLY_ONCE", checkpoint.PropStateBackend: "heap"},
		Operators: map[string]*checkpoint.OperatorState{
			"count": {Parallelism: 2, MaxParallelism: 128, Subtasks: subtasks},
			"source": {Parallelism: 1, MaxParallelism: 128, Subtasks: []checkpoint.OperatorSubtaskState{{
				OperatorUID: "source",
				Operator: []checkpoint.OperatorStateHandle{{File: small, States: []checkpoint.NamedListState{
					{Name: "splits", Mode: checkpoint.UnionDistribute, Offsets: []int64{0}},
				}}},
			}}},
		},
		StateSize: 2*int64(len(bigState(0))) + 13, CheckpointedSize: 2*int64(len(bigState(0))) + 13,
		Tasks: []checkpoint.TaskAck{
			{Task: checkpoint.SubtaskKey{Vertex: 0, Subtask: 0}, AckTime: ts.Add(time.Second), Metrics: checkpoint.SubtaskMetrics{SyncDuration: time.Millisecond, StateSize: 13}},
			{Task: checkpoint.SubtaskKey{Vertex: 1, Subtask: 0}, AckTime: ts.Add(1500 * time.Millisecond), Metrics: checkpoint.SubtaskMetrics{AsyncDuration: time.Second, StateSize: 1}},
		},
	}
	if err := st.WriteMetadata(ctx, job, cp); err != nil {
		t.Fatal(err)
	}
	return cp
}

// backends runs fn against a fresh mem:// storage and a fresh directory.
func backends(t *testing.T, fn func(t *testing.T, st *Storage)) {
	t.Run("mem", func(t *testing.T) {
		st, err := Open(ctx, "mem://")
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		fn(t, st)
	})
	t.Run("dir", func(t *testing.T) {
		st, err := Open(ctx, filepath.Join(t.TempDir(), "ckpts"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		fn(t, st)
	})
}

func TestRoundTrip(t *testing.T) { backends(t, testRoundTrip) }

func testRoundTrip(t *testing.T, st *Storage) {
	job := "word count/v1"
	want := writeCheckpoint(t, st, job, 7)
	if want.ExternalPath != st.ExternalPath(job, 7) || !strings.HasSuffix(want.ExternalPath, "word_count_v1/chk-7") {
		t.Fatalf("external path %q", want.ExternalPath)
	}
	got, err := st.ReadMetadata(ctx, job, 7)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("metadata round trip:\ngot  %+v\nwant %+v", got, want)
	}
	for _, s := range got.States() {
		for _, k := range s.Keyed {
			data, err := st.ReadStateFile(ctx, job, k.File)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, bigState(byte(s.Subtask)+7)) {
				t.Fatalf("state of subtask %d differs", s.Subtask)
			}
		}
		for _, o := range s.Operator {
			data, err := st.ReadStateFile(ctx, job, o.File)
			if err != nil || string(data) != `{"offset":42}` {
				t.Fatalf("inline state: %q %v", data, err)
			}
		}
	}
	infos, err := st.List(ctx, job)
	if err != nil || len(infos) != 1 || infos[0].Status != StatusComplete || infos[0].ID != 7 || infos[0].Files != 3 {
		t.Fatalf("List: %+v %v", infos, err)
	}
	latest, skipped, err := st.Latest(ctx, job)
	if err != nil || latest.ID != 7 || len(skipped) != 0 {
		t.Fatalf("Latest: %v %v %v", latest, skipped, err)
	}
	if err := st.WriteMetadata(ctx, job, want); !errors.Is(err, ErrExists) {
		t.Fatalf("overwriting metadata: %v", err)
	}
	if _, err := st.ReadMetadata(ctx, job, 8); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing checkpoint: %v", err)
	}
	if err := st.Discard(ctx, job, 7); err != nil {
		t.Fatal(err)
	}
	if infos, err := st.List(ctx, job); err != nil || len(infos) != 0 {
		t.Fatalf("after Discard: %+v %v", infos, err)
	}
	if err := st.Discard(ctx, job, 7); err != nil {
		t.Fatalf("second Discard: %v", err)
	}
	if _, _, err := st.Latest(ctx, job); !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("Latest of an empty job: %v", err)
	}
}

// damage changes the object at rel (relative to the job's directory).
func damage(t *testing.T, st *Storage, job, rel string, fn func([]byte) []byte) {
	t.Helper()
	key := JobDir(job) + "/" + rel
	r, err := st.Bucket().Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	if data = fn(data); data == nil {
		if err := st.Bucket().Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := st.Bucket().Put(ctx, key, bytes.NewReader(data), false); err != nil {
		t.Fatal(err)
	}
}

func flip(i int) func([]byte) []byte {
	return func(b []byte) []byte {
		if i < 0 {
			i += len(b)
		}
		b[i] ^= 0x20
		return b
	}
}

func TestCorruptionDetected(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rel    string
		change func([]byte) []byte
		status Status
		reason string
	}{
		{"metadata byte flipped", "chk-2/_metadata", flip(40), StatusDamaged, "chk-2/_metadata: checksum mismatch"},
		{"metadata checksum flipped", "chk-2/_metadata", flip(-1), StatusDamaged, "chk-2/_metadata: checksum mismatch"},
		{"metadata magic", "chk-2/_metadata", flip(0), StatusDamaged, "chk-2/_metadata: not checkpoint metadata"},
		{"metadata truncated", "chk-2/_metadata", func(b []byte) []byte { return b[:len(b)/2] }, StatusDamaged, "chk-2/_metadata: body length"},
		{"metadata emptied", "chk-2/_metadata", func(b []byte) []byte { return []byte{} }, StatusDamaged, "too short"},
		{"metadata missing", "chk-2/_metadata", func([]byte) []byte { return nil }, StatusIncomplete, "incomplete"},
		{"state byte flipped", "chk-2/op-count-1", flip(1000), StatusDamaged, "chk-2/op-count-1: checksum mismatch"},
		{"state truncated", "chk-2/op-count-0", func(b []byte) []byte { return b[:100] }, StatusDamaged, "chk-2/op-count-0: size 100, expected 21480"},
		{"state extended", "chk-2/op-count-0", func(b []byte) []byte { return append(b, 1) }, StatusDamaged, "chk-2/op-count-0: size 21481, expected 21480"},
		{"state missing", "chk-2/op-count-1", func([]byte) []byte { return nil }, StatusDamaged, "chk-2/op-count-1: missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backends(t, func(t *testing.T, st *Storage) {
				job := "wc"
				writeCheckpoint(t, st, job, 1)
				writeCheckpoint(t, st, job, 2)
				damage(t, st, job, tc.rel, tc.change)

				cp, skipped, err := st.Latest(ctx, job)
				if err != nil {
					t.Fatal(err)
				}
				if cp.ID != 1 || len(skipped) != 1 || skipped[0].ID != 2 || skipped[0].Status != tc.status {
					t.Fatalf("Latest = %d, skipped %v", cp.ID, skipped)
				}
				msg := skipped[0].String()
				if !strings.Contains(msg, tc.reason) || !strings.HasPrefix(msg, "checkpoint 2 is "+tc.status.String()) {
					t.Fatalf("reason %q does not say %q", msg, tc.reason)
				}
				if tc.status == StatusDamaged && !errors.Is(skipped[0].Reason, ErrCorrupt) {
					t.Fatalf("reason does not wrap ErrCorrupt: %v", skipped[0].Reason)
				}
				t.Logf("%s; restoring from checkpoint %d", msg, cp.ID)
			})
		})
	}
}

// A flipped byte keeps the size: List (sizes only) calls the checkpoint
// complete, reading it or Latest finds the damage; WithSizeOnlyVerify
// trusts sizes.
func TestFlippedStateByteNeedsRead(t *testing.T) {
	st, err := Open(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	cp := writeCheckpoint(t, st, "wc", 1)
	damage(t, st, "wc", "chk-1/op-count-0", flip(5))
	infos, _ := st.List(ctx, "wc")
	if infos[0].Status != StatusComplete {
		t.Fatalf("List: %v", infos[0].Reason)
	}
	ref := cp.Operators["count"].Subtasks[0].Keyed[0].File
	if _, err := st.ReadStateFile(ctx, "wc", ref); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "chk-1/op-count-0: checksum mismatch") {
		t.Fatalf("ReadStateFile: %v", err)
	}
	if _, _, err := st.Latest(ctx, "wc"); !errors.Is(err, ErrNoCheckpoint) || !strings.Contains(err.Error(), "checkpoint 1 is damaged (chk-1/op-count-0: checksum mismatch") {
		t.Fatalf("Latest: %v", err)
	}
	lax := FromBucket(st.Bucket(), "mem://", WithSizeOnlyVerify())
	if got, _, err := lax.Latest(ctx, "wc"); err != nil || got.ID != 1 {
		t.Fatalf("size-only Latest: %v %v", got, err)
	}
	// A corrupt inline state is caught too.
	bad := cp.Operators["source"].Subtasks[0].Operator[0].File
	bad.Inline = bytes.Clone(bad.Inline)
	bad.Inline[0] ^= 1
	if _, err := st.ReadStateFile(ctx, "wc", bad); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("inline: %v", err)
	}
}

// On a local disk the layout is exactly the documented one: no sidecar
// files, no temporary leftovers, and Discard leaves no directory behind.
func TestDirectoryLayout(t *testing.T) {
	root := t.TempDir()
	st, err := Open(ctx, "file://"+root)
	if err != nil {
		t.Fatal(err)
	}
	writeCheckpoint(t, st, "wc", 1)
	if _, err := st.WriteSharedFile(ctx, "wc", "sst-000001", strings.NewReader("sst")); err != nil {
		t.Fatal(err)
	}
	var files []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	want := []string{"wc/chk-1/_metadata", "wc/chk-1/op-count-0", "wc/chk-1/op-count-1", "wc/shared/sst-000001"}
	if !slices.Equal(files, want) {
		t.Fatalf("files %v, want %v", files, want)
	}
	if err := st.Discard(ctx, "wc", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "wc", "chk-1")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("chk-1 still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "wc", "shared", "sst-000001")); err != nil {
		t.Fatalf("Discard touched shared/: %v", err)
	}
}

func TestOpenLocations(t *testing.T) {
	dir := t.TempDir()
	for _, loc := range []string{filepath.Join(dir, "a", "b"), "file://" + filepath.Join(dir, "c")} {
		st, err := Open(ctx, loc)
		if err != nil {
			t.Fatalf("%s: %v", loc, err)
		}
		st.Close()
	}
	if _, err := os.Stat(filepath.Join(dir, "a", "b")); err != nil {
		t.Fatalf("directory not created: %v", err)
	}
	for loc, want := range map[string]string{
		"gs://bucket/x":       `unsupported checkpoint storage scheme "gs" in "gs://bucket/x": use a directory path, file://, s3:// or mem://`,
		"hdfs://nn:8020/ckpt": `unsupported checkpoint storage scheme "hdfs"`,
		"":                    "empty location",
		"s3:///nobucket":      "names no bucket",
		"file://host/dir":     "file:// URLs name no host",
		"file:///tmp/x?a=b":   "take no options",
		"s3://b?colour=blue":  `unknown query parameter "colour"`,
	} {
		_, err := Open(ctx, loc)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%q) = %v, want %q", loc, err, want)
		}
	}
	if _, err := Open(ctx, "gs://b"); !errors.Is(err, ErrUnsupportedScheme) {
		t.Errorf("unknown scheme does not wrap ErrUnsupportedScheme: %v", err)
	}

	// Named mem:// buckets are shared in the process; prefixes separate.
	a, _ := Open(ctx, "mem://shared-test/a")
	writeCheckpoint(t, a, "wc", 3)
	a.Close()
	b, _ := Open(ctx, "mem://shared-test/a")
	if cp, _, err := b.Latest(ctx, "wc"); err != nil || cp.ID != 3 || cp.ExternalPath != "mem://shared-test/a/wc/chk-3" {
		t.Fatalf("shared mem bucket: %v %v", cp, err)
	}
	c, _ := Open(ctx, "mem://shared-test/other")
	if _, _, err := c.Latest(ctx, "wc"); !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("prefix not applied: %v", err)
	}
}

func TestJobDir(t *testing.T) {
	for in, want := range map[string]string{
		"wordcount":     "wordcount",
		"Word Count/v2": "Word_Count_v2",
		"..":            "_.",
		".hidden":       "_hidden",
		"":              "_",
		"über-job_1.0":  "__ber-job_1.0",
		"a\x00b":        "a_b",
	} {
		if got := JobDir(in); got != want {
			t.Errorf("JobDir(%q) = %q, want %q", in, got, want)
		}
		if JobDir(JobDir(in)) != JobDir(in) {
			t.Errorf("JobDir not idempotent on %q", in)
		}
	}
	if got := JobDir(strings.Repeat("x", 300)); len(got) != 128 {
		t.Errorf("long name kept %d bytes", len(got))
	}
}

func TestStateFileNames(t *testing.T) {
	st, _ := Open(ctx, "mem://", WithInlineThreshold(-1))
	for _, name := range []string{"", "../escape", "a//b", ".tmp", "_metadata", "a b", "x/../../y", "ok/.hidden"} {
		if _, err := st.WriteStateBytes(ctx, "wc", 1, name, []byte("x")); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
	ref, err := st.WriteStateBytes(ctx, "wc", 1, "op-1/keyed-0.bin", []byte("x"))
	if err != nil || ref.IsInline() || ref.Path != "chk-1/op-1/keyed-0.bin" {
		t.Fatalf("nested name: %+v %v", ref, err)
	}
	if _, err := st.WriteStateBytes(ctx, "wc", 0, "x", nil); err == nil {
		t.Error("checkpoint id 0 accepted")
	}
	// A path in metadata that escapes the job's directory is damage, not a read.
	if _, err := st.ReadStateFile(ctx, "wc", checkpoint.FileRef{Path: "../other/chk-1/x", Size: 1}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("escaping path: %v", err)
	}
}

func TestEmptyAndExactThresholdState(t *testing.T) {
	st, _ := Open(ctx, "mem://", WithInlineThreshold(4))
	for _, tc := range []struct {
		data   string
		inline bool
	}{{"", true}, {"abcd", true}, {"abcde", false}} {
		ref, err := st.WriteStateBytes(ctx, "wc", 1, "s"+fmt.Sprint(len(tc.data)), []byte(tc.data))
		if err != nil || ref.IsInline() != tc.inline || ref.Size != int64(len(tc.data)) {
			t.Fatalf("%q: %+v %v", tc.data, ref, err)
		}
		got, err := st.ReadStateFile(ctx, "wc", ref)
		if err != nil || string(got) != tc.data {
			t.Fatalf("%q read back %q %v", tc.data, got, err)
		}
	}
}
