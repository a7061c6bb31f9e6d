package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/weirstream/weir"
	"github.com/weirstream/weir/connector"
	"github.com/weirstream/weir/connector/datagen"
	"github.com/weirstream/weir/connector/discard"
	"github.com/weirstream/weir/web"
)

// TestVertexWatermarksAndSubtaskTimes runs an event-time job and reads each
// subtask's input watermark and state times as Flink's REST API writes
// them.
func TestVertexWatermarksAndSubtaskTimes(t *testing.T) {
	defer goleak.VerifyNone(t)
	e := newEnv(t, "parallelism.default=2", "pipeline.auto-watermark-interval=20ms")
	gen := datagen.New(1<<40, 1, func(i int64, _ uint64) rec { return rec{F0: "x", F1: i} })
	weir.FromSourceWithWatermarks(e, connector.RateLimit(gen, 2000), "Gen", weir.ForMonotonousTimestamps(func(r rec) int64 { return r.F1 })).
		UID("gen").Rebalance().SinkTo(discard.New[rec](), "Discard").UID("discard")
	done := run(e, "event-time")
	j := e.Job()
	defer func() {
		j.Cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Execute returned %v", err)
		}
	}()
	srv := httptest.NewServer(web.NewServer(web.Options{}, j).Handler())
	defer srv.Close()
	c := newClient(t, srv.URL)
	eventually(t, 30*time.Second, "the job to run", func() bool { return j.State() == weir.StateRunning && len(j.Vertices()) == 2 })
	base := "/jobs/" + j.ID() + "/vertices/"

	// watermarks reads a vertex's watermarks by subtask.
	watermarks := func(vid string) map[string]int64 {
		code, b := c.do("GET", base+vid+"/watermarks")
		if code != 200 {
			t.Fatalf("watermarks: %d %s", code, b)
		}
		var ms []map[string]string
		if err := json.Unmarshal(b, &ms); err != nil {
			t.Fatalf("watermarks are not an array of metrics: %v: %s", err, b)
		}
		out := map[string]int64{}
		for _, m := range ms {
			v, err := strconv.ParseInt(m["value"], 10, 64)
			if err != nil {
				t.Fatalf("watermark %v: %v", m, err)
			}
			out[m["id"]] = v
		}
		return out
	}
	src := watermarks(web.VertexID("gen"))
	if len(src) != 2 || src["0.currentInputWatermark"] != math.MinInt64 || src["1.currentInputWatermark"] != math.MinInt64 {
		t.Fatalf("source watermarks %v", src)
	}
	// The source's output watermark advances (vertex metrics route), as
	// do its bytes out; the sink has no output watermark.
	vm := func(vid, get string) map[string]float64 {
		code, b := c.do("GET", base+vid+"/metrics?get="+get)
		var ms []map[string]string
		if err := json.Unmarshal(b, &ms); code != 200 || err != nil {
			t.Fatalf("vertex metrics: %d %v %s", code, err, b)
		}
		out := map[string]float64{}
		for _, m := range ms {
			v, err := strconv.ParseFloat(m["value"], 64)
			if err != nil {
				t.Fatalf("metric %v: %v", m, err)
			}
			out[m["id"]] = v
		}
		return out
	}
	eventually(t, 30*time.Second, "the source's output watermark and bytes out", func() bool {
		m := vm(web.VertexID("gen"), "0.currentOutputWatermark,1.currentOutputWatermark,0.numBytesOut,1.numBytesOut")
		return m["0.currentOutputWatermark"] > 0 && m["1.currentOutputWatermark"] > 0 && m["0.numBytesOut"] > 0 && m["1.numBytesOut"] > 0
	})
	sink := web.VertexID("discard")
	if m := vm(sink, "0.currentOutputWatermark,0.numBytesIn"); len(m) != 1 || m["0.numBytesIn"] < 0 {
		t.Fatalf("sink metrics %v: want numBytesIn and no output watermark", m)
	}
	eventually(t, 30*time.Second, "the sink's watermarks to advance", func() bool {
		w := watermarks(sink)
		return len(w) == 2 && w["0.currentInputWatermark"] > 0 && w["1.currentInputWatermark"] > 0
	})

	st := c.get(base + sink + "/subtasktimes")
	hasKeys(t, "subtasktimes", st, "id", "name", "now", "subtasks")
	subs := arr(t, st["subtasks"])
	if st["id"] != sink || len(subs) != 2 {
		t.Fatalf("subtasktimes %v", st)
	}
	s1 := obj(t, subs[1])
	hasKeys(t, "subtask time", s1, "subtask", "host", "endpoint", "duration", "timestamps")
	ts := obj(t, s1["timestamps"])
	if num(t, s1["subtask"]) != 1 || num(t, s1["duration"]) < 0 || num(t, ts["RUNNING"]) <= 0 || num(t, ts["FINISHED"]) != 0 {
		t.Fatalf("subtask time %v", s1)
	}
	c.wantError("GET", base+"0123456789abcdef0123456789abcdef/watermarks", 404, "not found")
	c.wantError("GET", base+"xyz/subtasktimes", 400, "32 hexadecimal")
}
