package web_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/web"
)

// Flink's PrometheusReporter's label sets (the scopes' variables).
var (
	flinkTaskLabels = []string{"host", "job_id", "job_name", "subtask_index", "task_attempt_id", "task_attempt_num",
		"task_id", "task_name", "tm_id"}
	flinkOperatorLabels = append(slices.Clone(flinkTaskLabels), "operator_id", "operator_name")
	flinkJobLabels      = []string{"host", "job_id", "job_name"}
)

// scrape fetches /metrics and parses it as Prometheus does.
func scrape(t *testing.T, c *client) (string, map[string]*dto.MetricFamily) {
	t.Helper()
	code, body := c.do(http.MethodGet, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v\n%s", err, body)
	}
	return string(body), families
}

// labels is m's labels by name.
func labels(m *dto.Metric) map[string]string {
	l := map[string]string{}
	for _, p := range m.Label {
		l[p.GetName()] = p.GetValue()
	}
	return l
}

// wantLabelSet fails unless every series of mf has exactly the labels want
// (sorted).
func wantLabelSet(t *testing.T, mf *dto.MetricFamily, want []string) {
	t.Helper()
	for _, m := range mf.Metric {
		var got []string
		for _, p := range m.Label {
			got = append(got, p.GetName())
		}
		slices.Sort(got)
		w := slices.Sorted(slices.Values(want))
		if !slices.Equal(got, w) {
			t.Fatalf("%s: labels %v, want %v", mf.GetName(), got, w)
		}
	}
}

// lintClean runs promtool's linter (promlint, which `promtool check
// metrics` runs) over body and fails on any problem but one: Flink's
// metric names are camelCase (numRecordsIn), which the linter flags, and
// they must stay so for dashboards written for Flink to read them; for
// those the only problem allowed is exactly that one.
func lintClean(t *testing.T, body string, camelPrefixes ...string) {
	t.Helper()
	problems, err := promlint.New(strings.NewReader(body)).Lint()
	if err != nil {
		t.Fatalf("promlint: %v", err)
	}
	for _, p := range problems {
		flinkName := slices.ContainsFunc(camelPrefixes, func(pre string) bool { return strings.HasPrefix(p.Metric, pre) })
		if !flinkName || p.Text != "metric names should be written in 'snake_case' not 'camelCase'" {
			t.Errorf("promlint: %s: %s", p.Metric, p.Text)
		}
	}
}

// checkFlinkMetrics asserts /metrics of a server with the running jobs of
// TestRESTAgainstRunningJobs: the keyed job jid (vertices "Source:
// Gen -> Check", head UID gen, and the keyed sum and sink, two subtasks each, restarted
// at least once) and the backpressured one (one subtask in each of its
// two vertices), named as Flink's PrometheusReporter names them.
func checkFlinkMetrics(t *testing.T, c *client, jid string) {
	src := web.VertexID("gen")
	body, families := scrape(t, c)
	for name := range families {
		if strings.HasPrefix(name, "weir_") {
			t.Errorf("Weir-named %s under metrics.prometheus.names=flink", name)
		}
	}
	for _, name := range []string{"numRecordsIn", "numRecordsOut", "numRecordsInPerSecond", "numRecordsOutPerSecond",
		"busyTimeMsPerSecond", "backPressuredTimeMsPerSecond", "idleTimeMsPerSecond", "buffers_outPoolUsage",
		"currentInputWatermark", "currentOutputWatermark", "numBytesIn", "numBytesOut"} {
		mf := families["flink_taskmanager_job_task_"+name]
		if mf == nil {
			t.Fatalf("no flink_taskmanager_job_task_%s", name)
		}
		// Flink's reporter writes counters, meters and gauges as gauges.
		if mf.GetType() != dto.MetricType_GAUGE {
			t.Errorf("%s: %s, want GAUGE as Flink's reporter", mf.GetName(), mf.GetType())
		}
		wantLabelSet(t, mf, flinkTaskLabels)
		// Two vertices of two subtasks in the keyed job, two of one in
		// the other; the input watermark only for vertices with inputs,
		// the output watermark only for those with network outputs.
		want := 6
		if name == "currentInputWatermark" || name == "currentOutputWatermark" {
			want = 3
		}
		if len(mf.Metric) != want {
			t.Fatalf("%s: %d series, want %d", mf.GetName(), len(mf.Metric), want)
		}
	}
	var found bool
	for _, m := range families["flink_taskmanager_job_task_numRecordsOut"].Metric {
		l := labels(m)
		if l["job_id"] == jid && l["task_id"] == src && l["subtask_index"] == "1" {
			found = true
			// Label values as Flink's filter writes them: [^a-zA-Z0-9:_] -> _.
			if l["job_name"] != "keyed" || !strings.HasPrefix(l["task_name"], "Source:_Gen_") || l["tm_id"] != "embedded" ||
				l["task_attempt_num"] == "0" || l["host"] == "" ||
				l["task_attempt_id"] != jid+"_"+src+"_1_"+l["task_attempt_num"] || m.Gauge.GetValue() <= 0 {
				t.Fatalf("keyed source subtask 1: %v = %v", l, m.Gauge.GetValue())
			}
		}
	}
	if !found {
		t.Fatal("no flink_taskmanager_job_task_numRecordsOut series for the keyed job's source subtask 1")
	}
	// Bytes flowed: out of the source's subtasks, into the sum's.
	var bytesOut, bytesIn float64
	for _, m := range families["flink_taskmanager_job_task_numBytesOut"].Metric {
		if l := labels(m); l["job_id"] == jid && l["task_id"] == src {
			bytesOut += m.Gauge.GetValue()
		}
	}
	for _, m := range families["flink_taskmanager_job_task_numBytesIn"].Metric {
		if l := labels(m); l["job_id"] == jid && l["task_id"] != src {
			bytesIn += m.Gauge.GetValue()
		}
	}
	if bytesOut <= 0 || bytesIn <= 0 {
		t.Fatalf("keyed job: numBytesOut %v from the source, numBytesIn %v into the sum", bytesOut, bytesIn)
	}
	// Operator scope: the head operator's input and the tail's output.
	for _, name := range []string{"numRecordsIn", "numRecordsInPerSecond", "numRecordsOut", "numRecordsOutPerSecond", "currentInputWatermark", "currentOutputWatermark"} {
		mf := families["flink_taskmanager_job_task_operator_"+name]
		if mf == nil {
			t.Fatalf("no flink_taskmanager_job_task_operator_%s", name)
		}
		wantLabelSet(t, mf, flinkOperatorLabels)
	}
	var ops []string
	for _, m := range families["flink_taskmanager_job_task_operator_numRecordsOut"].Metric {
		if l := labels(m); l["job_id"] == jid && l["subtask_index"] == "0" {
			ops = append(ops, l["operator_id"])
		}
	}
	slices.Sort(ops)
	if want := slices.Sorted(slices.Values([]string{web.VertexID("check"), web.VertexID("discard")})); !slices.Equal(ops, want) {
		t.Fatalf("keyed job's tail operators %v, want %v (check, discard)", ops, want)
	}
	for _, name := range []string{"lastCheckpointDuration", "lastCheckpointSize", "lastCheckpointFullSize",
		"numberOfCompletedCheckpoints", "numberOfFailedCheckpoints", "numberOfInProgressCheckpoints",
		"totalNumberOfCheckpoints", "numRestarts", "fullRestarts", "restartingTime", "uptime", "downtime"} {
		mf := families["flink_jobmanager_job_"+name]
		if mf == nil {
			t.Fatalf("no flink_jobmanager_job_%s", name)
		}
		wantLabelSet(t, mf, flinkJobLabels)
	}
	for _, m := range families["flink_jobmanager_job_numRestarts"].Metric {
		if labels(m)["job_id"] == jid && m.Gauge.GetValue() < 1 {
			t.Fatalf("numRestarts %v", m)
		}
	}
	// The keyed job restarted with a fixed delay of 10 ms.
	for _, m := range families["flink_jobmanager_job_restartingTime"].Metric {
		if labels(m)["job_id"] == jid && m.Gauge.GetValue() < 10 {
			t.Fatalf("restartingTime %v, want at least the 10 ms restart delay", m)
		}
	}
	lintClean(t, body, "flink_")
}

// metrics.prometheus.names=weir keeps Weir's own names and labels; the
// default escapes label values as Flink's reporter does.
func TestPrometheusNames(t *testing.T) {
	f := fixture()
	f.vertices[0].Name = "Source: S -> M"
	f.vertices[0].Operators = append(f.vertices[0].Operators, graph.OperatorInfo{Name: "M", UID: "m"})

	cfg := config.New()
	if err := cfg.SetPairs([]string{"metrics.prometheus.names=WEIR"}); err != nil {
		t.Fatal(err)
	}
	_, families := scrape(t, serve(t, web.Options{Config: cfg}, f))
	for name := range families {
		if strings.HasPrefix(name, "flink_") {
			t.Errorf("Flink-named %s under metrics.prometheus.names=weir", name)
		}
	}
	mf := families["weir_task_numRecordsOut"]
	if mf == nil || len(mf.Metric) != 3 || families["weir_task_outPoolUsage"] == nil || families["weir_job_numRestarts"] == nil {
		t.Fatalf("weir naming: %v", families)
	}
	wantLabelSet(t, mf, []string{"job_id", "job_name", "vertex_id", "vertex_name", "subtask_index"})
	if l := labels(mf.Metric[0]); l["vertex_name"] != "Source: S -> M" {
		t.Fatalf("weir naming keeps label values: %v", l)
	}

	body, families := scrape(t, serve(t, web.Options{}, f))
	mf = families["flink_taskmanager_job_task_operator_numRecordsOut"]
	if mf == nil || len(mf.Metric) != 3 {
		t.Fatalf("flink naming: %v", mf)
	}
	for _, m := range mf.Metric {
		if l := labels(m); l["task_id"] == web.VertexID("s") &&
			(l["task_name"] != "Source:_S____M" || l["operator_name"] != "M" || l["operator_id"] != web.VertexID("m") || m.Gauge.GetValue() != float64(f.vertices[0].Subtasks[0].RecordsOut) && m.Gauge.GetValue() != float64(f.vertices[0].Subtasks[1].RecordsOut)) {
			t.Fatalf("source's tail operator: %v = %v", l, m.Gauge.GetValue())
		}
	}
	if families["flink_jobmanager_job_downtime"] == nil || families["flink_taskmanager_job_task_currentInputWatermark"] == nil ||
		len(families["flink_taskmanager_job_task_currentInputWatermark"].Metric) != 1 {
		t.Fatalf("flink naming: %v", families)
	}
	lintClean(t, body, "flink_")
}

func serve(t *testing.T, o web.Options, jobs ...web.Job) *client {
	t.Helper()
	srv := web.NewServer(o, jobs...)
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return newClient(t, srv.URL())
}
