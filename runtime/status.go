package runtime

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/weirstream/weir/graph"
	"github.com/weirstream/weir/operator"
)

// rates is the last second's sample of one subtask.
type rates struct {
	in, out, busy, bp, idle float64
}

// sampler turns the subtasks' counters into per-second rates.
type sampler struct {
	mu    sync.Mutex
	last  []counters
	at    time.Time
	rates []rates
}

type counters struct{ in, out, idle, bp int64 }

func (j *Job) counters() []counters {
	c := make([]counters, len(j.subtasks))
	now := time.Now().UnixNano()
	inProgress := func(since *atomic.Int64) int64 {
		if s := since.Load(); s > 0 && s < now {
			return now - s
		}
		return 0
	}
	for i, t := range j.subtasks {
		// Waits still in progress count up to now, so a long wait spreads
		// over the seconds it spans instead of landing in the last one.
		c[i] = counters{in: t.records.Load(), out: t.recordsOut.Load(),
			idle: t.idle.Load() + inProgress(&t.idleSince), bp: t.backPressured.Load() + inProgress(&t.bpSince)}
		if t.gate == nil { // a source: what it emitted is output, not input
			c[i].in = 0
		}
	}
	return c
}

// sample takes one sample; the first only sets the baseline.
func (j *Job) sample(now time.Time) {
	s := &j.sampler
	cur := j.counters()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last != nil {
		secs := now.Sub(s.at).Seconds()
		ms := float64(now.Sub(s.at).Milliseconds())
		s.rates = make([]rates, len(cur))
		for i, c := range cur {
			p := s.last[i]
			idle := float64(c.idle-p.idle) / 1e6 / ms * 1000
			bp := float64(c.bp-p.bp) / 1e6 / ms * 1000
			s.rates[i] = rates{
				in:   float64(c.in-p.in) / secs,
				out:  float64(c.out-p.out) / secs,
				idle: min(idle, 1000),
				bp:   min(bp, 1000),
				busy: max(0, 1000-idle-bp),
			}
		}
	}
	s.last, s.at = cur, now
}

// Status returns every vertex with its subtasks' figures (those of this
// task manager, when the attempt is spread over several). It may be called
// from any goroutine while the job runs.
func (j *Job) Status() []graph.VertexStatus {
	g, p := j.spec.Graph, j.spec.Plan
	cur := j.counters()
	j.sampler.mu.Lock()
	rs := j.sampler.rates
	j.sampler.mu.Unlock()
	out := make([]graph.VertexStatus, len(p.Vertices))
	i := 0
	for _, v := range p.Vertices {
		vs := graph.VertexStatus{ID: v.ID, Name: v.Name, Parallelism: v.Parallelism}
		for _, id := range v.Nodes {
			vs.Operators = append(vs.Operators, graph.OperatorInfo{Name: g.Nodes[id].Name, UID: g.Nodes[id].UID})
		}
		for _, in := range v.Inputs {
			vs.Inputs = append(vs.Inputs, graph.VertexInputInfo{FromVertex: in.FromVertex, Partitioning: in.Edge.Partitioning.String()})
		}
		for s := 0; s < v.Parallelism; s++ {
			if !j.local(v.ID, s) { // on another task manager
				continue
			}
			t := j.subtasks[i]
			st := graph.SubtaskStatus{Subtask: s, RecordsIn: cur[i].in, RecordsOut: cur[i].out, CurrentInputWatermark: operator.MinWatermark}
			if t.gate != nil {
				st.CurrentInputWatermark = t.inputWatermark.Load()
			}
			st.CurrentOutputWatermark = t.outputWatermark.Load()
			st.BytesIn, st.BytesOut = t.bytesIn.Load(), t.bytesOut.Load()
			st.Operators = make([]graph.OperatorStatus, len(t.metrics))
			for k, m := range t.metrics {
				ms := m.Snapshot()
				st.Operators[k] = graph.OperatorStatus{LateRecordsDropped: ms.LateRecordsDropped,
					PendingRecords: ms.PendingRecords, PendingBytes: ms.PendingBytes}
			}
			if i < len(rs) {
				r := rs[i]
				st.RecordsInPerSecond, st.RecordsOutPerSecond = r.in, r.out
				st.BusyTimeMsPerSecond, st.BackPressuredTimeMsPerSecond, st.IdleTimeMsPerSecond = r.busy, r.bp, r.idle
			}
			for _, w := range t.writers {
				st.OutPoolBuffers += w.pool.InUse()
				st.OutPoolCapacity += w.pool.Capacity()
			}
			if st.OutPoolCapacity > 0 {
				st.OutPoolUsage = float64(st.OutPoolBuffers) / float64(st.OutPoolCapacity)
			}
			vs.Subtasks = append(vs.Subtasks, st)
			i++
		}
		out[v.ID] = vs
	}
	return out
}
