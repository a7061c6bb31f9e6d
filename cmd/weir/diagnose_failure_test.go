package main

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/web"
)

// TestDiagnoseWebFailureCodes explains failed checkpoints here, from the
// codes the REST API gives (--slow-share makes the command do it itself),
// and wants the words of the server's own diagnosis: the failure is rebuilt
// from failure_reason and failure_cause, not from the message's text.
func TestDiagnoseWebFailureCodes(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef"
	job := slowSinkJob(id)
	base := job.stats.History[0] // the expired one
	declined, final, harmless := base, base, base
	declined.ID, final.ID, harmless.ID = 8, 9, 10
	sink := checkpoint.SubtaskKey{Vertex: 1}
	declined.Failure = &checkpoint.DeclinedError{Checkpoint: 8, Task: sink, TaskName: "MySQL Sink (1/1)",
		Cause: fmt.Errorf("uploading: %w: connection reset", checkpoint.ErrAsyncSnapshot)}
	final.Failure = &checkpoint.FinalizeError{Checkpoint: 9, Cause: errors.New("disk full")}
	harmless.Failure = &checkpoint.DeclinedError{Checkpoint: 10, Task: sink, TaskName: "MySQL Sink (1/1)",
		Cause: fmt.Errorf("still restoring: %w", checkpoint.ErrTaskNotReady)}
	job.stats.History = append([]checkpoint.CheckpointStats{harmless, final, declined}, job.stats.History...)
	job.stats.LatestFailed = &harmless
	api := httptest.NewServer(web.NewServer(web.Options{}, job).Handler())
	defer api.Close()

	server, stderr, code := runHere(t, "checkpoint", "diagnose", "--web", api.URL)
	if code != 0 {
		t.Fatalf("the server's diagnosis: exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"Checkpoint 10 was declined by MySQL Sink (1/1): still restoring: task not ready",
		"Checkpoint 9 failed although every subtask acknowledged: writing its metadata failed: disk full.",
		"Checkpoint 8 was declined by MySQL Sink (1/1): uploading: asynchronous part of the snapshot failed: connection reset.",
		"Checkpoint 7 expired after 10m0s",
	} {
		if !strings.Contains(server, want) {
			t.Errorf("the server's diagnosis lacks %q:\n%s", want, server)
		}
	}
	here, stderr, code := runHere(t, "checkpoint", "diagnose", "--web", api.URL, "--slow-share", "0.5")
	if code != 0 || here != server {
		t.Errorf("made here: exit %d\n%s\nwant the server's:\n%s\nstderr: %s", code, here, server, stderr)
	}
}
