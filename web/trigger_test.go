package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/connector/discard"
	"github.com/weirstream/weir/web"
)

// wantPostError posts and wants status with a Flink-style error that says
// says.
func (c *client) wantPostError(path, contentType, body string, status int, says string) {
	c.t.Helper()
	code, b := c.post(path, contentType, body)
	if code != status {
		c.t.Fatalf("POST %s %s: status %d, want %d; body %s", path, body, code, status, b)
	}
	errs := arr(c.t, decode(c.t, b)["errors"])
	if len(errs) != 1 || !strings.Contains(errs[0].(string), says) {
		c.t.Fatalf("POST %s %s: errors %v do not say %q", path, body, errs, says)
	}
}

// generatorJob is a rate-limited generator into a discard sink over a
// network edge, with the options kv.
func generatorJob(t *testing.T, kv ...string) *weir.Environment {
	e := newEnv(t, append([]string{"parallelism.default=2"}, kv...)...)
	gen := datagen.New(1<<40, 1, func(i int64, _ uint64) rec { return rec{F0: "x", F1: i} })
	weir.FromSource(e, connector.RateLimit(gen, 2000), "Gen").UID("gen").Rebalance().
		SinkTo(discard.New[rec](), "Discard").UID("discard")
	return e
}

// TestTriggerCheckpoint is the contract of Flink 1.19's manual checkpoint
// trigger against a real job whose periodic checkpoint is an hour away:
// POST /jobs/:jobid/checkpoints answers 202 with a request-id, and
// GET /jobs/:jobid/checkpoints/:triggerid reaches COMPLETED with the ID of
// a checkpoint that /jobs/:jobid/checkpoints lists as completed. A job
// without checkpointing, an ended job, an unknown or malformed trigger ID
// and a body that is not a trigger request get Flink-style errors.
func TestTriggerCheckpoint(t *testing.T) {
	defer goleak.VerifyNone(t)
	ce := generatorJob(t, "execution.checkpointing.interval=1h", "execution.checkpointing.dir="+filepath.Join(t.TempDir(), "ckpt"))
	pe := generatorJob(t)
	cdone, pdone := run(ce, "manual-checkpoints"), run(pe, "no-checkpoints")
	cj, pj := ce.Job(), pe.Job()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cj.Cancel()
		pj.Cancel()
		for _, done := range []<-chan error{cdone, pdone} {
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("Execute returned %v", err)
			}
		}
	}
	defer stop()
	srv := httptest.NewServer(web.NewServer(web.Options{}, cj, pj).Handler())
	defer srv.Close()
	c := newClient(t, srv.URL)
	base := "/jobs/" + cj.ID() + "/checkpoints"

	// Records flow through the sink: every subtask runs.
	eventually(t, 30*time.Second, "records to reach the sinks", func() bool {
		if cj.State() != weir.StateRunning || pj.State() != weir.StateRunning {
			return false
		}
		for _, j := range []*weir.JobInfo{cj, pj} {
			vs := j.Vertices()
			if len(vs) != 2 {
				return false
			}
			for _, st := range vs[1].Subtasks {
				if st.RecordsIn == 0 {
					return false
				}
			}
		}
		return true
	})

	code, b := c.post(base, "application/json", `{"checkpointType": "CONFIGURED"}`)
	if code != http.StatusAccepted {
		t.Fatalf("POST %s: %d %s, want 202", base, code, b)
	}
	rid, _ := decode(t, b)["request-id"].(string)
	if len(rid) != 32 {
		t.Fatalf("POST %s: request-id %q in %s, want 32 hexadecimal digits", base, rid, b)
	}
	var status map[string]any
	eventually(t, 30*time.Second, "the triggered checkpoint to complete", func() bool {
		status = c.get(base + "/" + rid)
		return obj(t, status["status"])["id"] == "COMPLETED"
	})
	op := obj(t, status["operation"])
	if _, failed := op["failureCause"]; failed {
		t.Fatalf("triggered checkpoint failed: %v", status)
	}
	id := num(t, op["checkpointId"])

	cps := c.get(base)
	listed := false
	for _, h := range arr(t, cps["history"]) {
		h := obj(t, h)
		if num(t, h["id"]) == id {
			listed = h["status"] == "COMPLETED" && h["checkpoint_type"] == "CHECKPOINT"
		}
	}
	if !listed || num(t, obj(t, cps["counts"])["completed"]) < 1 {
		t.Fatalf("checkpoint %v is not listed as completed in %s: %v", id, base, cps)
	}
	if latest := obj(t, obj(t, cps["latest"])["completed"]); num(t, latest["id"]) != id {
		t.Errorf("latest completed checkpoint %v, want the triggered %v", latest["id"], id)
	}

	// The same triggerId again is the same request: nothing new is
	// triggered.
	code, b = c.post(base, "application/json", fmt.Sprintf(`{"triggerId": %q}`, rid))
	if again, _ := decode(t, b)["request-id"].(string); code != http.StatusAccepted || again != rid {
		t.Errorf("POST with triggerId %s: %d %s, want 202 with the same request-id", rid, code, b)
	}
	if n := num(t, obj(t, c.get(base)["counts"])["total"]); n != 1 {
		t.Errorf("%v checkpoints triggered after a repeated request, want 1", n)
	}

	// Flink's per-job and per-vertex metric stores, with ?get=.
	metrics := func(path string) map[string]any {
		code, b := c.do(http.MethodGet, path)
		var ms []map[string]any
		if code != http.StatusOK || json.Unmarshal(b, &ms) != nil {
			t.Fatalf("GET %s: %d %s, want a JSON array", path, code, b)
		}
		out := map[string]any{}
		for _, m := range ms {
			out[m["id"].(string)] = m["value"]
		}
		return out
	}
	jm := "/jobs/" + cj.ID() + "/metrics"
	if ids := metrics(jm); len(ids) < 4 || ids["numberOfCompletedCheckpoints"] != nil {
		t.Errorf("GET %s: %v, want the IDs of the job's metrics without values", jm, ids)
	}
	if got := metrics(jm + "?get=numberOfCompletedCheckpoints,bogus"); len(got) != 1 || got["numberOfCompletedCheckpoints"] != "1" {
		t.Errorf("GET %s?get=numberOfCompletedCheckpoints,bogus: %v, want its value \"1\" alone", jm, got)
	}
	vm := "/jobs/" + cj.ID() + "/vertices/" + web.VertexID("discard") + "/metrics"
	if ids := metrics(vm); len(ids) != 22 {
		t.Errorf("GET %s: %d metric IDs (%v), want 11 per subtask (a sink: no output watermark)", vm, len(ids), ids)
	}
	got := metrics(vm + "?get=0.numRecordsIn,1.currentInputWatermark")
	if n, _ := strconv.ParseInt(fmt.Sprint(got["0.numRecordsIn"]), 10, 64); n <= 0 || got["1.currentInputWatermark"] != "-9223372036854775808" {
		t.Errorf("GET %s?get=0.numRecordsIn,1.currentInputWatermark: %v", vm, got)
	}

	c.wantPostError("/jobs/"+pj.ID()+"/checkpoints", "", "", http.StatusConflict, "checkpointing is not enabled")
	c.wantError(http.MethodGet, base+"/0123456789abcdef0123456789abcdef", http.StatusNotFound, "no checkpoint trigger request")
	c.wantError(http.MethodGet, base+"/bogus", http.StatusBadRequest, "not 32 hexadecimal digits")
	c.wantPostError(base, "application/json", `{"checkpointType": "FULL"}`, http.StatusBadRequest, "checkpointType FULL is not supported")
	c.wantPostError(base, "application/json", `[1]`, http.StatusBadRequest, "not a checkpoint trigger request")
	c.wantPostError(base, "text/plain", `{}`, http.StatusUnsupportedMediaType, "application/json")

	stop()
	c.wantPostError(base, "", "", http.StatusConflict, "not running")
	if st := c.get(base + "/" + rid); obj(t, st["status"])["id"] != "COMPLETED" {
		t.Errorf("after the end, the request's status is %v", st)
	}
}
