package web_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/weirstream/weir/web"
)

// promtoolModule is the Prometheus release whose promtool checks /metrics:
// the newest the module registry had when this test was written.
const promtoolModule = "github.com/prometheus/prometheus/cmd/promtool@v0.316.0"

// TestPromtoolCheckMetrics runs the real `promtool check metrics` over
// /metrics of a finished window job (task, operator and job scopes), when
// WEIR_PROMTOOL is set: to 1 it is built with `go run` from the Prometheus
// module, outside go.mod (measured on the 2-core test machine: 276 MB of
// module downloads in 17 s, 1.8 GB unpacked, 10 minutes of compiling under
// load, which the default test run does not pay); to a path, that promtool
// binary is run. With it exported, scripts/test.sh's one go test run runs
// it once.
//
// The default tests lose nothing without it: promtool's check metrics is
// promlint (prometheus/prometheus cmd/promtool/main.go, CheckMetrics, at
// v0.316.0: promlint.New(stdin).Lint(), each problem printed as "METRIC
// TEXT", exit 3 when there is one), the linter lintClean runs on every
// scrape. The one problem allowed is the same as there: Flink's camelCase
// names.
func TestPromtoolCheckMetrics(t *testing.T) {
	tool := os.Getenv("WEIR_PROMTOOL")
	if tool == "" {
		t.Skip("WEIR_PROMTOOL unset: promlint (what promtool check metrics runs) already checks /metrics in TestPrometheusNames and the job tests")
	}
	e, _ := lateJob(t, nil)
	if err := e.Execute(context.Background(), "promtool"); err != nil {
		t.Fatal(err)
	}
	c := serve(t, web.Options{}, e.Job())
	body, _ := scrape(t, c)
	if !strings.Contains(body, "flink_taskmanager_job_task_operator_numLateRecordsDropped{") {
		t.Fatalf("no operator metrics to check:\n%s", body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, "check", "metrics")
	if tool == "1" {
		cmd = exec.CommandContext(ctx, "go", "run", promtoolModule, "check", "metrics")
		cmd.Dir = t.TempDir() // outside this module: go.mod stays as it is
	}
	var stderr bytes.Buffer
	cmd.Stdin, cmd.Stderr = strings.NewReader(body), &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && (!errors.As(err, &exit) || exit.ExitCode() != 3) {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, stderr.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if line == "" {
			continue
		}
		if !strings.HasPrefix(line, "flink_") || !strings.HasSuffix(line, " metric names should be written in 'snake_case' not 'camelCase'") {
			t.Errorf("promtool check metrics: %s", line)
		}
	}
}
