package web_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/connector/discard"
	"github.com/weirstream/weir/web"
)

// TestExecutionResultOfEndedJobs runs a job that finishes and one that
// fails for good, and reads their status, configuration and execution
// result as Flink's REST API writes them.
func TestExecutionResultOfEndedJobs(t *testing.T) {
	defer goleak.VerifyNone(t)
	gen := func() weir.Source[rec] {
		return datagen.New(100, 1, func(i int64, _ uint64) rec { return rec{F0: "x", F1: i} })
	}
	ef := newEnv(t, "parallelism.default=3", "pipeline.max-parallelism=64")
	weir.FromSource(ef, gen(), "Gen").UID("gen").SinkTo(discard.New[rec](), "Discard").UID("discard")
	eb := newEnv(t, "restart-strategy.type=none", "rest.auth.token=s3cret-token")
	s := weir.Map(weir.FromSource(eb, gen(), "Gen").UID("gen"), func(r rec) (rec, error) {
		return r, errors.New("injected failure\nsecond line")
	}).UID("boom")
	s.SinkTo(discard.New[rec](), "Discard").UID("discard")

	if err := ef.Execute(context.Background(), "finishes"); err != nil {
		t.Fatal(err)
	}
	if err := eb.Execute(context.Background(), "fails"); err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Fatalf("Execute of the failing job returned %v", err)
	}
	fin, bad := ef.Job(), eb.Job()
	srv := httptest.NewServer(web.NewServer(web.Options{}, fin, bad).Handler())
	defer srv.Close()
	c := newClient(t, srv.URL)

	if st := c.get("/jobs/" + fin.ID() + "/status"); st["status"] != "FINISHED" || len(st) != 1 {
		t.Fatalf("status %v", st)
	}
	if st := c.get("/jobs/" + bad.ID() + "/status"); st["status"] != "FAILED" {
		t.Fatalf("status %v", st)
	}

	r := c.get("/jobs/" + fin.ID() + "/execution-result")
	if obj(t, r["status"])["id"] != "COMPLETED" {
		t.Fatalf("execution-result %v", r)
	}
	res := obj(t, r["job-execution-result"])
	hasKeys(t, "job-execution-result", res, "id", "application-status", "accumulator-results", "net-runtime")
	if res["id"] != fin.ID() || res["application-status"] != "SUCCEEDED" || num(t, res["net-runtime"]) < 0 {
		t.Fatalf("job-execution-result %v", res)
	}
	if _, ok := res["failure-cause"]; ok {
		t.Fatalf("a finished job has a failure-cause: %v", res)
	}

	res = obj(t, c.get("/jobs/" + bad.ID() + "/execution-result")["job-execution-result"])
	cause := obj(t, res["failure-cause"])
	if res["application-status"] != "FAILED" || !strings.HasSuffix(cause["class"].(string), "injected failure") ||
		!strings.Contains(cause["stack-trace"].(string), "second line") {
		t.Fatalf("failed job-execution-result %v", res)
	}

	// The configuration: parallelism, key groups, options with secrets masked.
	cfg := c.get("/jobs/" + fin.ID() + "/config")
	hasKeys(t, "config", cfg, "jid", "name", "execution-config")
	ec := obj(t, cfg["execution-config"])
	hasKeys(t, "execution-config", ec, "execution-mode", "restart-strategy", "job-parallelism", "object-reuse-mode", "user-config")
	if cfg["jid"] != fin.ID() || cfg["name"] != "finishes" || num(t, ec["job-parallelism"]) != 3 || num(t, ec["max-parallelism"]) != 64 ||
		obj(t, ec["user-config"])["parallelism.default"] != "3" {
		t.Fatalf("config %v", cfg)
	}
	user := obj(t, obj(t, c.get("/jobs/" + bad.ID() + "/config")["execution-config"])["user-config"])
	if user["rest.auth.token"] != "******" || user["restart-strategy.type"] != "disable" {
		t.Fatalf("user-config %v", user)
	}
	d := c.get("/jobs/" + fin.ID())
	if num(t, d["maxParallelism"]) != 64 || num(t, obj(t, arr(t, d["vertices"])[0])["maxParallelism"]) != 64 {
		t.Fatalf("maxParallelism %v / %v", d["maxParallelism"], arr(t, d["vertices"])[0])
	}
}
