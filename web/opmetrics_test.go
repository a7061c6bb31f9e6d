package web_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/connector/collect"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/connector/discard"
	"github.com/weirstream/weir/connector/file"
	"github.com/weirstream/weir/internal/testutil"
	"github.com/weirstream/weir/web"
)

// punctuated emits a watermark with every record, one below the highest
// timestamp seen, so that which records are late depends only on their
// order.
type punctuated struct{ max int64 }

func (p *punctuated) OnEvent(ts int64) (int64, bool) { p.max = max(p.max, ts); return p.max - 1, true }
func (p *punctuated) OnPeriodicEmit() (int64, bool)  { return 0, false }

// lateTimestamps are the event times (ms) of lateJob's records, in order.
// With tumbling windows of 10 ms and the watermark one below the highest
// timestamp: 15 fires [0,10), so 3 is late; 25 fires [10,20), so 12 and 1
// are late; 35 fires [20,30), so 22 is late: four late records.
var lateTimestamps = []int64{5, 15, 3, 25, 12, 1, 35, 22, 30}

// lateJob runs lateTimestamps from a bounded datagen source (UID "gen")
// through tumbling event-time windows of 10 ms (UID "win", named "Win"),
// with the late records to a side output when late is not nil; it returns
// the job's log.
func lateJob(t *testing.T, late *collect.Sink[rec]) (*weir.Environment, *testutil.LockedBuffer) {
	t.Helper()
	e := newEnv(t, "parallelism.default=1", "pipeline.auto-watermark-interval=0")
	logs := &testutil.LockedBuffer{}
	e.SetLogger(slog.New(slog.NewTextHandler(logs, nil)))
	gen := datagen.New(int64(len(lateTimestamps)), 1, func(i int64, _ uint64) rec { return rec{F0: "k", F1: lateTimestamps[i]} })
	s := weir.AssignTimestampsAndWatermarks(weir.FromSource(e, gen, "Gen").UID("gen"),
		weir.ForGenerator(func(r rec) int64 { return r.F1 }, func() weir.WatermarkGenerator { return &punctuated{} }))
	ws := weir.Window(weir.KeyBy(s, func(r rec) string { return r.F0 }), weir.TumblingEventTimeWindows(10*time.Millisecond))
	tag := weir.NewOutputTag[rec]("late")
	if late != nil {
		ws = ws.SideOutputLateData(tag)
	}
	out := weir.ReduceWindow(ws, func(a, b rec) (rec, error) { return rec{F0: a.F0, F1: a.F1 + b.F1}, nil }).Name("Win").UID("win")
	out.SinkTo(discard.New[rec](), "Discard").UID("discard")
	if late != nil {
		weir.SideOutput(out, tag).SinkTo(late, "Late").UID("late")
	}
	return e, logs
}

// family is the series of mf whose job_id is jid.
func family(mf *dto.MetricFamily, jid string) []*dto.Metric {
	var out []*dto.Metric
	if mf == nil {
		return nil
	}
	for _, m := range mf.Metric {
		if labels(m)["job_id"] == jid {
			out = append(out, m)
		}
	}
	return out
}

// vertexMetric is one metric of the vertex metrics route, as text; "" when
// the route does not have it.
func vertexMetric(t *testing.T, c *client, jid, uid, id string) string {
	t.Helper()
	code, b := c.do(http.MethodGet, "/jobs/"+jid+"/vertices/"+web.VertexID(uid)+"/metrics?get="+id)
	if code != http.StatusOK {
		t.Fatalf("vertex metrics of %s: %d %s", uid, code, b)
	}
	s := strings.TrimSpace(string(b))
	if s == "[]" {
		return ""
	}
	want := `[{"id":"` + id + `","value":"`
	if !strings.HasPrefix(s, want) || !strings.HasSuffix(s, `"}]`) {
		t.Fatalf("vertex metrics ?get=%s: %s", id, s)
	}
	return strings.TrimSuffix(strings.TrimPrefix(s, want), `"}]`)
}

// A window job that drops late records reports how many in
// numLateRecordsDropped, in /metrics (operator scope, Flink's labels) and
// in the vertex metrics route: the number its log says and the number the
// same job's late side output receives; with the side output, none is
// dropped. Its bounded datagen source's pendingRecords is 0 at the end.
func TestLateRecordsDroppedAndPendingRecords(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after serve's cleanup
	lateSink := collect.New[rec]()
	withSide, _ := lateJob(t, lateSink)
	if err := withSide.Execute(context.Background(), "late-side"); err != nil {
		t.Fatal(err)
	}
	dropping, logs := lateJob(t, nil)
	if err := dropping.Execute(context.Background(), "late-dropped"); err != nil {
		t.Fatal(err)
	}
	sideLate := len(lateSink.Records())
	if sideLate != 4 {
		t.Fatalf("late side output: %v, want the 4 late records", lateSink.Records())
	}
	if want := fmt.Sprintf("numLateRecordsDropped=%d", sideLate); !strings.Contains(logs.String(), want) {
		t.Fatalf("log does not say %s:\n%s", want, logs)
	}

	c := serve(t, web.Options{}, withSide.Job(), dropping.Job())
	body, families := scrape(t, c)
	lintClean(t, body, "flink_")
	mf := families["flink_taskmanager_job_task_operator_numLateRecordsDropped"]
	if mf == nil || mf.GetType() != dto.MetricType_GAUGE {
		t.Fatalf("flink_taskmanager_job_task_operator_numLateRecordsDropped: %v", mf)
	}
	wantLabelSet(t, mf, flinkOperatorLabels)
	for _, tc := range []struct {
		jid  string
		want float64
	}{{dropping.Job().ID(), float64(sideLate)}, {withSide.Job().ID(), 0}} {
		ms := family(mf, tc.jid)
		if len(ms) != 1 {
			t.Fatalf("job %s: %d numLateRecordsDropped series, want 1 (the window operator's)", tc.jid, len(ms))
		}
		if l := labels(ms[0]); l["operator_id"] != web.VertexID("win") || l["operator_name"] != "Win" ||
			l["task_id"] != web.VertexID("win") || l["subtask_index"] != "0" || ms[0].Gauge.GetValue() != tc.want {
			t.Fatalf("job %s: numLateRecordsDropped %v = %v, want %v for operator Win", tc.jid, l, ms[0].Gauge.GetValue(), tc.want)
		}
	}
	jid := dropping.Job().ID()
	if got := vertexMetric(t, c, jid, "win", "0.Win.numLateRecordsDropped"); got != strconv.Itoa(sideLate) {
		t.Fatalf("vertex route 0.Win.numLateRecordsDropped = %q, want %d", got, sideLate)
	}
	list := string(func() []byte {
		_, b := c.do(http.MethodGet, "/jobs/"+jid+"/vertices/"+web.VertexID("win")+"/metrics")
		return b
	}())
	if !strings.Contains(list, `{"id":"0.Win.numLateRecordsDropped"}`) {
		t.Fatalf("the vertex metrics list lacks 0.Win.numLateRecordsDropped: %s", list)
	}

	// The bounded source's pending records: 0 once it read everything;
	// records only (datagen has no bytes to read), for the source
	// operator alone.
	pr := family(families["flink_taskmanager_job_task_operator_pendingRecords"], jid)
	if len(pr) != 1 || labels(pr[0])["operator_id"] != web.VertexID("gen") || pr[0].Gauge.GetValue() != 0 {
		t.Fatalf("pendingRecords at the end: %v", pr)
	}
	if pb := family(families["flink_taskmanager_job_task_operator_pendingBytes"], jid); len(pb) != 0 {
		t.Fatalf("pendingBytes exported for datagen, which does not know it: %v", pb)
	}
	if got := vertexMetric(t, c, jid, "gen", "0.Gen.pendingRecords"); got != "0" {
		t.Fatalf("vertex route 0.Gen.pendingRecords = %q, want 0", got)
	}
}

// The file source, whose records left are unknown, reports its bytes left
// instead: pendingBytes, 0 once it read everything, and no pendingRecords.
func TestFileSourcePendingBytes(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after serve's cleanup
	in := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(in, []byte("a\nb\nc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, "parallelism.default=1")
	weir.FromSource(e, file.NewSource(in), "Lines").UID("lines").SinkTo(discard.New[string](), "Sink").UID("sink")
	if err := e.Execute(context.Background(), "file-pending"); err != nil {
		t.Fatal(err)
	}
	j := e.Job()
	_, families := scrape(t, serve(t, web.Options{}, j))
	pb := family(families["flink_taskmanager_job_task_operator_pendingBytes"], j.ID())
	if len(pb) != 1 || labels(pb[0])["operator_id"] != web.VertexID("lines") || pb[0].Gauge.GetValue() != 0 {
		t.Fatalf("pendingBytes at the end: %v", pb)
	}
	if pr := family(families["flink_taskmanager_job_task_operator_pendingRecords"], j.ID()); len(pr) != 0 {
		t.Fatalf("pendingRecords exported for the file source, which does not know them: %v", pr)
	}
}

// A bounded datagen source reports the records it has not generated yet
// while it runs: at most its count, falling as it reads, 0 at the end; an
// unbounded one reports none.
func TestPendingRecordsWhileRunning(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after serve's cleanup
	const count = 3000
	e := newEnv(t, "parallelism.default=2")
	gen := datagen.New(count, 1, func(i int64, _ uint64) rec { return rec{F0: "k", F1: i} })
	weir.FromSource(e, connector.RateLimit(gen, 2000), "Bounded").UID("bounded").SinkTo(discard.New[rec](), "Sink").UID("sink")
	unbounded := datagen.New(-1, 1, func(i int64, _ uint64) rec { return rec{F0: "k", F1: i} })
	weir.FromSource(e, connector.RateLimit(unbounded, 10), "Unbounded").UID("unbounded").SinkTo(discard.New[rec](), "Sink2").UID("sink2")
	done := run(e, "pending")
	j := e.Job()
	defer func() { j.Cancel(); <-done }()
	c := serve(t, web.Options{}, j)

	pending := func() (bounded []float64, unbounded int) {
		_, families := scrape(t, c)
		for _, m := range family(families["flink_taskmanager_job_task_operator_pendingRecords"], j.ID()) {
			switch labels(m)["operator_id"] {
			case web.VertexID("bounded"):
				bounded = append(bounded, m.Gauge.GetValue())
			case web.VertexID("unbounded"):
				unbounded++
			}
		}
		return bounded, unbounded
	}
	var first float64 = -1
	eventually(t, 30*time.Second, "the bounded source partly read", func() bool {
		b, u := pending()
		if u != 0 {
			t.Fatalf("pendingRecords exported for an unbounded source")
		}
		if len(b) != 2 {
			return false
		}
		if sum := b[0] + b[1]; sum > 0 && sum < count {
			first = sum
			return true
		}
		return false
	})
	eventually(t, 30*time.Second, "the bounded source read to the end", func() bool {
		b, _ := pending()
		return len(b) == 2 && b[0]+b[1] == 0
	})
	if first <= 0 {
		t.Fatal("no pending records seen while reading")
	}
}

// restartingTime is 0 before any restart and, after a restart with a
// fixed delay, at least that delay; fullRestarts and numRestarts count it.
func TestRestartingTime(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after serve's cleanup
	const delay = 300 * time.Millisecond
	e := newEnv(t, "parallelism.default=1", "restart-strategy.type=fixed-delay",
		"restart-strategy.fixed-delay.attempts=2", "restart-strategy.fixed-delay.delay="+delay.String())
	var fail atomic.Bool
	gen := datagen.New(-1, 1, func(i int64, _ uint64) rec { return rec{F0: "k", F1: i} })
	s := weir.Map(weir.FromSource(e, connector.RateLimit(gen, 1000), "Gen").UID("gen"), func(r rec) (rec, error) {
		if fail.CompareAndSwap(true, false) {
			return r, errors.New("injected failure")
		}
		return r, nil
	})
	s.SinkTo(discard.New[rec](), "Discard").UID("discard")
	done := run(e, "restarting")
	j := e.Job()
	defer func() { j.Cancel(); <-done }()
	c := serve(t, web.Options{}, j)

	jobMetric := func(name string) string {
		t.Helper()
		code, raw := c.do(http.MethodGet, "/jobs/"+j.ID()+"/metrics?get="+name)
		b := strings.TrimSpace(string(raw))
		pre, post := `[{"id":"`+name+`","value":"`, `"}]`
		if code != http.StatusOK || !strings.HasPrefix(b, pre) || !strings.HasSuffix(b, post) {
			t.Fatalf("/jobs/:id/metrics?get=%s: %d %s", name, code, b)
		}
		return strings.TrimSuffix(strings.TrimPrefix(b, pre), post)
	}
	promJob := func(name string) float64 {
		t.Helper()
		_, families := scrape(t, c)
		ms := family(families["flink_jobmanager_job_"+name], j.ID())
		if len(ms) != 1 {
			t.Fatalf("flink_jobmanager_job_%s: %v", name, ms)
		}
		wantLabelSet(t, families["flink_jobmanager_job_"+name], flinkJobLabels)
		return ms[0].Gauge.GetValue()
	}
	eventually(t, 30*time.Second, "the job running", func() bool { return j.State() == weir.StateRunning })
	if got := jobMetric("restartingTime"); got != "0" {
		t.Fatalf("restartingTime before any restart: %s, want 0", got)
	}
	if got := promJob("restartingTime"); got != 0 {
		t.Fatalf("flink_jobmanager_job_restartingTime before any restart: %v, want 0", got)
	}

	fail.Store(true)
	eventually(t, 30*time.Second, "the restart done", func() bool {
		return j.Restarts() == 1 && j.State() == weir.StateRunning
	})
	got, err := strconv.ParseInt(jobMetric("restartingTime"), 10, 64)
	if err != nil || got < delay.Milliseconds() || got > 30_000 {
		t.Fatalf("restartingTime after a restart with a %v delay: %d ms (%v)", delay, got, err)
	}
	// The restart is over: the figure is the last restart's and stays.
	if again := promJob("restartingTime"); again != float64(got) {
		t.Fatalf("restartingTime moved after the restart ended: %d, then %v", got, again)
	}
	if jobMetric("numRestarts") != "1" || jobMetric("fullRestarts") != "1" || promJob("fullRestarts") != 1 {
		t.Fatalf("numRestarts %s, fullRestarts %s after one restart", jobMetric("numRestarts"), jobMetric("fullRestarts"))
	}
}
