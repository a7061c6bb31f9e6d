package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/checkpoint/storage"
)

// wantRefusal checks exit code 2 and a one-line "weir: ..." error saying says.
func wantRefusal(t *testing.T, r result, says string) {
	t.Helper()
	if r.code != 2 {
		t.Fatalf("exit %d, want 2; stdout %q; stderr %q", r.code, r.stdout, r.stderr)
	}
	if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.HasPrefix(r.stderr, "weir: ") || !strings.Contains(r.stderr, says) {
		t.Fatalf("stderr %q is not one line \"weir: ...%s...\"", r.stderr, says)
	}
}

// TestCheckpointTools runs wordcount at -p 2 until a checkpoint completes,
// kills it, and looks at what it left with `weir checkpoint list/inspect`.
func TestCheckpointTools(t *testing.T) {
	dir := t.TempDir()
	text, _ := corpus(4000)
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p := start(t, dir, "run", "wordcount", "--no-web", "--input", "in.txt", "--output", "discard", "-p", "2",
		"--rate", "2000", "-D", "execution.checkpointing.interval=50ms")
	p.await(t, "a completed checkpoint", func(_, errs []string) bool { return completed(errs) >= 1 })
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	root := filepath.Join(dir, "weir-checkpoints")
	jobDir := filepath.Join(root, "wordcount")

	// inspect --json on the job directory: its newest intact checkpoint.
	r := runWeir(t, "", "checkpoint", "inspect", "--json", jobDir)
	if r.code != 0 {
		t.Fatalf("inspect --json: exit %d: %s", r.code, r.stderr)
	}
	var doc struct {
		ID               int64             `json:"id"`
		Status           string            `json:"status"`
		IsSavepoint      *bool             `json:"is_savepoint"`
		TriggerTimestamp int64             `json:"trigger_timestamp"`
		StateSize        int64             `json:"state_size"`
		ExternalPath     string            `json:"external_path"`
		Job              string            `json:"job"`
		Properties       map[string]string `json:"properties"`
		Operators        []struct {
			UID            string `json:"uid"`
			Parallelism    int    `json:"parallelism"`
			MaxParallelism int    `json:"max_parallelism"`
			StateSize      int64  `json:"state_size"`
			Subtasks       []struct {
				Index int `json:"index"`
				Keyed []struct {
					Start int  `json:"key_group_start"`
					End   int  `json:"key_group_end"`
					Size  *int `json:"size"`
				} `json:"keyed"`
				OperatorState []struct {
					Name    string `json:"name"`
					Entries *int   `json:"entries"`
				} `json:"operator_state"`
			} `json:"subtasks"`
		} `json:"operators"`
		Tasks []struct {
			Subtask      *int  `json:"subtask"`
			AckTimestamp int64 `json:"ack_timestamp"`
		} `json:"tasks"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("inspect --json: %v\n%s", err, r.stdout)
	}
	chk := filepath.Join(jobDir, "chk-"+itoa(doc.ID))
	if doc.ID <= 0 || doc.Status != "COMPLETED" || doc.IsSavepoint == nil || *doc.IsSavepoint || doc.TriggerTimestamp <= 0 ||
		doc.StateSize <= 0 || doc.ExternalPath != chk || doc.Job != "wordcount" || doc.Properties["mode"] != "EXACTLY_ONCE" {
		t.Fatalf("inspect --json header: %+v", doc)
	}
	if len(doc.Tasks) == 0 || doc.Tasks[0].Subtask == nil || doc.Tasks[0].AckTimestamp < doc.TriggerTimestamp {
		t.Fatalf("inspect --json tasks: %+v", doc.Tasks)
	}
	var uids []string
	for _, op := range doc.Operators {
		uids = append(uids, op.UID)
		if op.UID != "count" {
			continue
		}
		if op.StateSize <= 0 || op.Parallelism != 2 || op.MaxParallelism != 128 || len(op.Subtasks) != 2 {
			t.Fatalf("operator count: %+v", op)
		}
		seen := make([]int, op.MaxParallelism)
		for _, s := range op.Subtasks {
			for _, k := range s.Keyed {
				if k.Size == nil || k.Start < 0 || k.End > op.MaxParallelism {
					t.Fatalf("count subtask %d: keyed %+v", s.Index, k)
				}
				for g := k.Start; g < k.End; g++ {
					seen[g]++
				}
			}
		}
		for g, n := range seen {
			if n != 1 {
				t.Fatalf("count: key group %d is in %d keyed handles, want 1", g, n)
			}
		}
	}
	if strings.Join(uids, ",") != "count,format,sink,source,split" {
		t.Fatalf("operators %v", uids)
	}

	// list, on the root and on the job directory: the checkpoint is complete.
	row := regexp.MustCompile(`(?m)^` + itoa(doc.ID) + `\s+complete\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\s+[\d.]+ (B|KiB|MiB)\s+\d+\s+` + regexp.QuoteMeta(chk) + `$`)
	for _, d := range []string{root, jobDir} {
		r := runWeir(t, "", "checkpoint", "list", d)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "job wordcount ("+jobDir+")\nID  STATUS") || !row.MatchString(r.stdout) {
			t.Fatalf("list %s: exit %d, stdout:\n%s\nstderr: %s", d, r.code, r.stdout, r.stderr)
		}
	}

	// inspect, human output, on the chk-<n> directory and on its _metadata.
	for _, path := range []string{chk, filepath.Join(chk, "_metadata")} {
		r := runWeir(t, "", "checkpoint", "inspect", path)
		if r.code != 0 {
			t.Fatalf("inspect %s: exit %d: %s", path, r.code, r.stderr)
		}
		for _, want := range []string{"Checkpoint " + itoa(doc.ID) + " of job wordcount\n", "mode:", "EXACTLY_ONCE",
			"max parallelism:", "key groups [0, 64)", "key groups [64, 128)", `list "`, "Subtask acknowledgements:"} {
			if !strings.Contains(r.stdout, want) {
				t.Fatalf("inspect %s lacks %q:\n%s", path, want, r.stdout)
			}
		}
		for _, uid := range uids {
			if !regexp.MustCompile(`(?m)^  ` + uid + `\s+2\s+128\s`).MatchString(r.stdout) {
				t.Fatalf("inspect %s: no operator row for %s:\n%s", path, uid, r.stdout)
			}
		}
	}

	// Refusals.
	wantRefusal(t, runWeir(t, "", "checkpoint", "inspect", filepath.Join(dir, "nope")), "does not exist")
	wantRefusal(t, runWeir(t, "", "checkpoint", "list", filepath.Join(dir, "nope")), "no checkpoints under "+filepath.Join(dir, "nope")+": it does not exist")
	wantRefusal(t, runWeir(t, "", "checkpoint", "list", t.TempDir()), "no checkpoints under ")
	wantRefusal(t, runWeir(t, "", "checkpoint", "inspect", filepath.Join(dir, "in.txt")), "is not a checkpoint")

	// Damage the metadata: list says why, inspect refuses.
	meta := filepath.Join(chk, "_metadata")
	b, err := os.ReadFile(meta)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x20
	if err := os.WriteFile(meta, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r = runWeir(t, "", "checkpoint", "list", jobDir)
	damaged := regexp.MustCompile(`(?m)^` + itoa(doc.ID) + `\s+damaged: chk-` + itoa(doc.ID) + `/_metadata: checksum mismatch .*` + regexp.QuoteMeta(chk) + `$`)
	if r.code != 0 || !damaged.MatchString(r.stdout) {
		t.Fatalf("list after damage: exit %d, stdout:\n%s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	wantRefusal(t, runWeir(t, "", "checkpoint", "inspect", chk), "checkpoint "+chk+" is damaged: chk-"+itoa(doc.ID)+"/_metadata: checksum mismatch")
	// The job directory: refused, or (if the kill left an older complete
	// checkpoint behind) that one, with a note on the damaged one skipped.
	r = runWeir(t, "", "checkpoint", "inspect", "--json", jobDir)
	skipped := "weir: checkpoint " + itoa(doc.ID) + " is damaged (chk-" + itoa(doc.ID) + "/_metadata: checksum mismatch"
	if !(r.code == 2 && strings.Contains(r.stderr, "damaged")) && !(r.code == 0 && strings.HasPrefix(r.stderr, skipped)) {
		t.Fatalf("inspect --json of the job directory after damage: exit %d, stderr %q", r.code, r.stderr)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestCheckpointToolsURL lists and inspects checkpoints in a named mem://
// bucket, in-process: a root URL's jobs are found by listing the bucket;
// state in files shows its path; list state sizes come from the offsets.
func TestCheckpointToolsURL(t *testing.T) {
	ctx := context.Background()
	st, err := storage.Open(ctx, "mem://weir-cli-checkpoint-test", storage.WithInlineThreshold(-1))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keyed, err := st.WriteStateBytes(ctx, "j1", 3, "count-0-keyed", []byte("0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2025, 1, 2, 3, 4, 5, 6e6, time.UTC)
	cp := &checkpoint.CompletedCheckpoint{
		ID: 3, Job: "j1", Kind: checkpoint.KindSavepoint, Timestamp: ts, Duration: 1500 * time.Millisecond,
		Properties: map[string]string{checkpoint.PropMode: "AT_LEAST_ONCE", checkpoint.PropMaxParallelism: "4"},
		Operators: map[string]*checkpoint.OperatorState{
			"count": {Parallelism: 1, MaxParallelism: 4, Subtasks: []checkpoint.OperatorSubtaskState{{
				OperatorUID: "count",
				Keyed:       []checkpoint.KeyedStateHandle{{KeyGroups: checkpoint.KeyGroupRange{Start: 0, End: 4}, File: keyed, Offsets: []int64{0, 2, 5, 7}}},
				Operator: []checkpoint.OperatorStateHandle{{File: checkpoint.InlineRef([]byte("aaabbcccc")), States: []checkpoint.NamedListState{
					{Name: "a", Offsets: []int64{0, 3}}, {Name: "empty", Mode: checkpoint.UnionDistribute}, {Name: "c", Offsets: []int64{5}},
				}}},
			}}},
		},
		StateSize: 19, CheckpointedSize: 10,
		Tasks: []checkpoint.TaskAck{{AckTime: ts.Add(1500 * time.Millisecond), Metrics: checkpoint.SubtaskMetrics{SyncDuration: 2 * time.Millisecond, StateSize: 19}}},
	}
	if err := st.WriteMetadata(ctx, "j1", cp); err != nil {
		t.Fatal(err)
	}
	weir := func(args ...string) (string, string, int) {
		var out, errs bytes.Buffer
		code := run(args, &out, &errs)
		return out.String(), errs.String(), code
	}
	for _, loc := range []string{"mem://weir-cli-checkpoint-test", "mem://weir-cli-checkpoint-test/j1"} {
		out, errs, code := weir("checkpoint", "list", loc)
		want := "job j1 (mem://weir-cli-checkpoint-test/j1)\n" +
			"ID  STATUS    TRIGGERED                 STATE SIZE  FILES  PATH\n" +
			"3   complete  2025-01-02T03:04:05.006Z  19 B        2      mem://weir-cli-checkpoint-test/j1/chk-3\n"
		if code != 0 || out != want {
			t.Fatalf("list %s: exit %d, stderr %q, stdout:\n%s\nwant:\n%s", loc, code, errs, out, want)
		}
	}
	if _, errs, code := weir("checkpoint", "list", "mem://weir-cli-checkpoint-other"); code != 2 || errs != "weir: no checkpoints under mem://weir-cli-checkpoint-other\n" {
		t.Fatalf("list of an empty bucket: exit %d, stderr %q", code, errs)
	}

	out, errs, code := weir("checkpoint", "inspect", "--json", "mem://weir-cli-checkpoint-test/j1")
	if code != 0 {
		t.Fatalf("inspect --json: exit %d: %s", code, errs)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	ops := doc["operators"].([]any)
	sub := ops[0].(map[string]any)["subtasks"].([]any)[0].(map[string]any)
	got, _ := json.Marshal([]any{doc["id"], doc["is_savepoint"], doc["checkpoint_type"], doc["trigger_timestamp"], doc["end_to_end_duration"],
		doc["state_size"], doc["checkpointed_size"], doc["external_path"], sub["keyed"], sub["operator_state"], doc["tasks"]})
	want := `[3,true,"SAVEPOINT",1735787045006,1500,19,10,"mem://weir-cli-checkpoint-test/j1/chk-3",` +
		`[{"backend":"heap","key_group_end":4,"key_group_start":0,"path":"chk-3/count-0-keyed","size":10}],` +
		`[{"distribution":"SPLIT_DISTRIBUTE","entries":2,"inline":true,"name":"a","size":5},` +
		`{"distribution":"UNION","entries":0,"inline":true,"name":"empty","size":0},` +
		`{"distribution":"SPLIT_DISTRIBUTE","entries":1,"inline":true,"name":"c","size":4}],` +
		`[{"ack_timestamp":1735787046506,"alignment_buffered":0,"alignment_duration":0,"async_duration":0,"checkpointed_size":0,` +
		`"end_to_end_duration":1500,"persisted_data":0,"processed_data":0,"start_delay":0,"state_size":19,"subtask":0,"sync_duration":2,"vertex":0}]]`
	if string(got) != want {
		t.Fatalf("inspect --json:\n got %s\nwant %s", got, want)
	}

	out, errs, code = weir("checkpoint", "inspect", "mem://weir-cli-checkpoint-test/j1/chk-3")
	for _, re := range []string{`^Savepoint 3 of job j1\n`, `\n  mode: +AT_LEAST_ONCE\n`, `\n  duration: +1\.5s\n`,
		`\n    keyed +key groups \[0, 4\) +10 B +chk-3/count-0-keyed\n`, `\n    list "a" +SPLIT_DISTRIBUTE, 2 entries +5 B +inline\n`,
		`\n    list "empty" +UNION, 0 entries +0 B +inline\n`, `\n  0/0 +1\.5s +2ms +0s +0s +0s +19 B +0 B\n`} {
		if code != 0 || !regexp.MustCompile(re).MatchString(out) {
			t.Fatalf("inspect: exit %d, stderr %q; stdout does not match %s:\n%s", code, errs, re, out)
		}
	}
}
