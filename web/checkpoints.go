package web

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/weirstream/weir/checkpoint"
	"github.com/weirstream/weir/cluster"
	"github.com/weirstream/weir/config"
	"github.com/weirstream/weir/diagnosis"
	"github.com/weirstream/weir/web/api"
)

// checkpointView is a job with its checkpoint statistics, read once for one
// answer.
type checkpointView struct {
	*jobView
	cfg   cluster.CheckpointConfig
	stats checkpoint.Stats
}

// lookupCheckpoints finds the job p names and reads its statistics; it
// answers 400 or 404 itself (404 also when checkpointing is off, as Flink)
// and returns nil then.
func (s *Server) lookupCheckpoints(w http.ResponseWriter, p params) *checkpointView {
	v := s.lookupJob(w, p)
	if v == nil {
		return nil
	}
	c := &checkpointView{jobView: v, cfg: v.job.CheckpointConfig()}
	if !c.cfg.Enabled {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Checkpointing is not enabled for job %s.", v.id))
		return nil
	}
	c.stats, _ = v.job.CheckpointStats()
	return c
}

// find returns the statistics of one checkpoint.
func (c *checkpointView) find(id checkpoint.ID) (checkpoint.CheckpointStats, bool) {
	for _, cs := range c.stats.History {
		if cs.ID == id {
			return cs, true
		}
	}
	for _, cs := range []*checkpoint.CheckpointStats{c.stats.LatestCompleted, c.stats.LatestSavepoint, c.stats.LatestFailed} {
		if cs != nil && cs.ID == id {
			return *cs, true
		}
	}
	return checkpoint.CheckpointStats{}, false
}

// ---- one checkpoint, as api.Checkpoint ----

func className(s checkpoint.Status) string {
	switch s {
	case checkpoint.StatusCompleted:
		return "completed"
	case checkpoint.StatusFailed:
		return "failed"
	}
	return "in_progress"
}

func (c *checkpointView) checkpointType(cs *checkpoint.CheckpointStats) string {
	switch {
	case cs.Kind == checkpoint.KindSavepoint:
		return "SAVEPOINT"
	case c.cfg.Unaligned:
		return "UNALIGNED_CHECKPOINT"
	}
	return "CHECKPOINT"
}

// checkpoint shapes cs; withTasks adds the per-vertex figures (Flink leaves
// them out of the overview's history), diag the diagnosis.
func (s *Server) checkpoint(c *checkpointView, cs checkpoint.CheckpointStats, withTasks bool) api.Checkpoint {
	j := api.Checkpoint{
		ClassName: className(cs.Status), ID: int64(cs.ID), Status: cs.Status.String(),
		IsSavepoint: cs.Kind == checkpoint.KindSavepoint, TriggerTimestamp: epochMs(cs.TriggerTime),
		LatestAckTimestamp: epochMs(cs.LatestAck), CheckpointedSize: cs.CheckpointedSize, StateSize: cs.StateSize,
		EndToEndDuration: cs.EndToEnd.Milliseconds(), AlignmentBuffered: cs.AlignmentBuffered,
		ProcessedData: cs.ProcessedData, PersistedData: cs.PersistedData,
		NumSubtasks: cs.NumSubtasks, NumAcknowledgedSubtasks: cs.NumAcknowledged,
		CheckpointType: c.checkpointType(&cs), Tasks: map[string]api.TaskCheckpoint{},
	}
	switch cs.Status {
	case checkpoint.StatusCompleted:
		path, discarded := cs.ExternalPath, cs.Discarded
		j.ExternalPath, j.Discarded = &path, &discarded
	case checkpoint.StatusFailed:
		ts, msg := epochMs(cs.EndTime), "unknown"
		if cs.Failure != nil {
			msg = cs.Failure.Error()
		}
		j.FailureTimestamp, j.FailureMessage = &ts, &msg
		c.failure(&j, cs.Failure)
	}
	if withTasks {
		for _, vs := range cs.Vertices() {
			j.Tasks[c.vid(vs.Vertex)] = taskCheckpoint(cs, vs)
		}
	}
	j.Diagnosis = s.diagnose(c, cs)
	return j
}

func taskCheckpoint(cs checkpoint.CheckpointStats, vs checkpoint.VertexStats) api.TaskCheckpoint {
	return api.TaskCheckpoint{
		ID: int64(cs.ID), Status: cs.Status.String(), LatestAckTimestamp: epochMs(vs.LatestAck),
		CheckpointedSize: vs.CheckpointedSize, StateSize: vs.StateSize, EndToEndDuration: vs.EndToEnd.Milliseconds(),
		AlignmentBuffered: vs.AlignmentBuffered, ProcessedData: vs.ProcessedData, PersistedData: vs.PersistedData,
		NumSubtasks: vs.NumSubtasks, NumAcknowledgedSubtasks: vs.NumAcknowledged,
	}
}

// ---- /jobs/:jobid/checkpoints ----

func sizeSummary(s checkpoint.SizeSummary) api.MinMaxAvg {
	return api.MinMaxAvg{Min: s.Min, Max: s.Max, Avg: s.Avg}
}

func (s *Server) checkpoints(w http.ResponseWriter, _ *http.Request, p params) {
	c := s.lookupCheckpoints(w, p)
	if c == nil {
		return
	}
	st := c.stats
	var out api.Checkpointing
	out.Counts.Restored, out.Counts.Total, out.Counts.InProgress = st.Restored, st.Triggered, st.InProgress
	out.Counts.Completed, out.Counts.Failed = st.Completed, st.Failed
	sum := &out.Summary
	// The percentiles, and the alignment figure the coordinator's summary
	// lacks, cover the completed checkpoints in the history; minimum,
	// maximum and average the whole run.
	var buffered summarizer
	var checkpointed, size, processed, persisted, e2eMs []int64
	for _, cs := range st.History {
		if cs.Status == checkpoint.StatusCompleted {
			buffered.add(cs.AlignmentBuffered)
			checkpointed, size = append(checkpointed, cs.CheckpointedSize), append(size, cs.StateSize)
			processed, persisted = append(processed, cs.ProcessedData), append(persisted, cs.PersistedData)
			e2eMs = append(e2eMs, cs.EndToEnd.Milliseconds())
		}
	}
	sum.CheckpointedSize = withPercentiles(sizeSummary(st.Summary.CheckpointedSize), checkpointed)
	sum.StateSize = withPercentiles(sizeSummary(st.Summary.StateSize), size)
	sum.ProcessedData = withPercentiles(sizeSummary(st.Summary.ProcessedData), processed)
	sum.PersistedData = withPercentiles(sizeSummary(st.Summary.PersistedData), persisted)
	e2e := st.Summary.EndToEnd
	sum.EndToEndDuration = withPercentiles(api.MinMaxAvg{Min: e2e.Min.Milliseconds(), Max: e2e.Max.Milliseconds(), Avg: e2e.Avg.Milliseconds()}, e2eMs)
	sum.AlignmentBuffered = withPercentiles(buffered.json(), buffered.values)
	latest := func(cs *checkpoint.CheckpointStats) *api.Checkpoint {
		if cs == nil {
			return nil
		}
		j := s.checkpoint(c, *cs, false)
		return &j
	}
	out.Latest.Completed = latest(st.LatestCompleted)
	out.Latest.Savepoint = latest(st.LatestSavepoint)
	out.Latest.Failed = latest(st.LatestFailed)
	if r := st.LatestRestore; r != nil {
		out.Latest.Restored = &api.RestoredCheckpoint{
			ID: int64(r.ID), RestoreTimestamp: epochMs(r.RestoreTime),
			IsSavepoint: r.Kind == checkpoint.KindSavepoint, ExternalPath: r.ExternalPath,
		}
	}
	out.History = []api.Checkpoint{}
	for _, cs := range st.History {
		out.History = append(out.History, s.checkpoint(c, cs, false))
	}
	writeJSON(w, http.StatusOK, out)
}

// ---- /jobs/:jobid/checkpoints/config ----

func (s *Server) checkpointConfig(w http.ResponseWriter, _ *http.Request, p params) {
	c := s.lookupCheckpoints(w, p)
	if c == nil {
		return
	}
	cfg := c.cfg
	out := api.CheckpointConfig{
		Mode: strings.ToLower(cfg.Mode), Interval: cfg.Interval.Milliseconds(), Timeout: cfg.Timeout.Milliseconds(),
		MinPause: cfg.MinPause.Milliseconds(), MaxConcurrent: cfg.MaxConcurrent,
		StateBackend: cfg.StateBackend, CheckpointStorage: "JobManagerCheckpointStorage",
		UnalignedCheckpoints: cfg.Unaligned, TolerableFailedCheckpoints: cfg.TolerableFailures,
		CheckpointsDirectory: cfg.Dir, NumRetained: cfg.NumRetained,
	}
	if cfg.Dir != "" {
		out.CheckpointStorage = "FileSystemCheckpointStorage"
	}
	out.Externalization.Enabled = cfg.Retention != config.NoExternalizedCheckpoints
	out.Externalization.DeleteOnCancellation = cfg.Retention == config.DeleteOnCancellation
	writeJSON(w, http.StatusOK, out)
}

// ---- /jobs/:jobid/checkpoints/details/:checkpointid ----

// lookupCheckpoint finds the checkpoint p names; it answers 400 or 404
// itself.
func (s *Server) lookupCheckpoint(w http.ResponseWriter, p params) (*checkpointView, checkpoint.CheckpointStats, bool) {
	c := s.lookupCheckpoints(w, p)
	if c == nil {
		return nil, checkpoint.CheckpointStats{}, false
	}
	id, err := strconv.ParseInt(p["checkpointid"], 10, 64)
	if err != nil || id < 0 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("Bad request: checkpoint ID %q is not a number.", p["checkpointid"]))
		return nil, checkpoint.CheckpointStats{}, false
	}
	cs, ok := c.find(checkpoint.ID(id))
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Could not find checkpointing statistics for checkpoint %d.", id))
	}
	return c, cs, ok
}

func (s *Server) checkpointDetails(w http.ResponseWriter, _ *http.Request, p params) {
	if c, cs, ok := s.lookupCheckpoint(w, p); ok {
		writeJSON(w, http.StatusOK, s.checkpoint(c, cs, true))
	}
}

// ---- /jobs/:jobid/checkpoints/details/:checkpointid/subtasks/:vertexid ----

// summarizer accumulates minimum, maximum and average.
type summarizer struct {
	n             int64
	min, max, sum int64
	values        []int64
}

func (a *summarizer) add(v int64) {
	a.values = append(a.values, v)
	if a.n == 0 || v < a.min {
		a.min = v
	}
	if a.n == 0 || v > a.max {
		a.max = v
	}
	a.n++
	a.sum += v
}

func (a *summarizer) json() api.MinMaxAvg {
	if a.n == 0 {
		return api.MinMaxAvg{}
	}
	return api.MinMaxAvg{Min: a.min, Max: a.max, Avg: a.sum / a.n}
}

func (s *Server) checkpointSubtasks(w http.ResponseWriter, _ *http.Request, p params) {
	c, cs, ok := s.lookupCheckpoint(w, p)
	if !ok {
		return
	}
	vi, ok := vertexOf(w, c.jobView, p)
	if !ok {
		return
	}
	var vs *checkpoint.VertexStats
	for _, v := range cs.Vertices() {
		if v.Vertex == vi {
			vs = &v
			break
		}
	}
	if vs == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Checkpoint %d has no statistics for vertex %s.", cs.ID, c.vid(vi)))
		return
	}
	out := api.TaskCheckpointDetails{TaskCheckpoint: taskCheckpoint(cs, *vs), Subtasks: []api.SubtaskCheckpoint{}}
	var cp, state, e2e, sync, async, buffered, processed, persisted, align, delay summarizer
	unaligned := c.cfg.Unaligned && cs.Kind != checkpoint.KindSavepoint
	for _, st := range cs.Subtasks {
		if st.Task.Vertex != vi {
			continue
		}
		if !st.Acknowledged {
			out.Subtasks = append(out.Subtasks, api.SubtaskCheckpoint{ClassName: api.ClassNamePending, Index: st.Task.Subtask, Status: "pending_or_failed"})
			continue
		}
		m := st.Metrics
		j := api.SubtaskCheckpoint{
			ClassName: "completed", Index: st.Task.Subtask, Status: "completed",
			AckTimestamp: epochMs(st.AckTime), EndToEndDuration: st.EndToEnd.Milliseconds(),
			StateSize: m.StateSize, CheckpointedSize: m.CheckpointedSize,
			StartDelay: m.StartDelay.Milliseconds(), UnalignedCheckpoint: unaligned || m.PersistedData > 0, Late: st.Late,
		}
		j.Checkpoint.Sync, j.Checkpoint.Async = m.SyncDuration.Milliseconds(), m.AsyncDuration.Milliseconds()
		j.Alignment.Buffered, j.Alignment.Processed, j.Alignment.Persisted = m.AlignmentBuffered, m.ProcessedData, m.PersistedData
		j.Alignment.Duration = m.Alignment.Milliseconds()
		out.Subtasks = append(out.Subtasks, j)
		if st.Late {
			continue // as in the vertex's figures
		}
		cp.add(j.CheckpointedSize)
		state.add(j.StateSize)
		e2e.add(j.EndToEndDuration)
		sync.add(j.Checkpoint.Sync)
		async.add(j.Checkpoint.Async)
		buffered.add(j.Alignment.Buffered)
		processed.add(j.Alignment.Processed)
		persisted.add(j.Alignment.Persisted)
		align.add(j.Alignment.Duration)
		delay.add(j.StartDelay)
	}
	sum := &out.Summary
	sum.CheckpointedSize, sum.StateSize, sum.EndToEndDuration = cp.json(), state.json(), e2e.json()
	sum.CheckpointDuration.Sync, sum.CheckpointDuration.Async = sync.json(), async.json()
	sum.Alignment.Buffered, sum.Alignment.Processed, sum.Alignment.Persisted = buffered.json(), processed.json(), persisted.json()
	sum.Alignment.Duration, sum.StartDelay = align.json(), delay.json()
	writeJSON(w, http.StatusOK, out)
}

// ---- diagnosis ----

// checkpointDiagnoses is GET /jobs/:jobid/checkpoints/diagnosis: every
// checkpoint in the history (and the latest failed one) that diagnosis
// finds something to say about, newest first.
func (s *Server) checkpointDiagnoses(w http.ResponseWriter, _ *http.Request, p params) {
	c := s.lookupCheckpoints(w, p)
	if c == nil {
		return
	}
	all := c.stats.History
	if f := c.stats.LatestFailed; f != nil && !slices.ContainsFunc(all, func(cs checkpoint.CheckpointStats) bool { return cs.ID == f.ID }) {
		all = append(all[:len(all):len(all)], *f)
	}
	out := api.Diagnoses{Entries: []api.DiagnosisEntry{}}
	for _, cs := range all {
		if d := s.diagnose(c, cs); d != nil {
			e := api.DiagnosisEntry{
				ID: int64(cs.ID), Status: cs.Status.String(), CheckpointType: c.checkpointType(&cs),
				TriggerTimestamp: epochMs(cs.TriggerTime), EndToEndDuration: cs.EndToEnd.Milliseconds(), Diagnosis: *d,
			}
			if cs.Status == checkpoint.StatusFailed {
				e.FailureReason = failureReason(cs.Failure)
			}
			out.Entries = append(out.Entries, e)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// recentWindow is how long after a checkpoint ended the job's live figures
// still describe it well enough to be handed to the diagnosis.
const recentWindow = 10 * time.Second

// diagnosisCache keeps the findings on ended checkpoints, so that one
// diagnosed while the figures of its time were at hand keeps what they
// showed.
type diagnosisCache struct {
	mu       sync.Mutex
	findings map[diagnosisKey]*api.Diagnosis // nil value: nothing to say
}

type diagnosisKey struct {
	job string
	id  checkpoint.ID
}

const maxCachedDiagnoses = 4096

// diagnose explains cs with diagnosis.Explain; nil when there is nothing
// to say.
func (s *Server) diagnose(c *checkpointView, cs checkpoint.CheckpointStats) *api.Diagnosis {
	ended := cs.Status != checkpoint.StatusInProgress
	key := diagnosisKey{c.id, cs.ID}
	if ended {
		s.diagnoses.mu.Lock()
		d, ok := s.diagnoses.findings[key]
		s.diagnoses.mu.Unlock()
		if ok {
			return d
		}
	}
	in := diagnosis.Input{Checkpoint: cs, Interval: c.cfg.Interval, Timeout: c.cfg.Timeout}
	live := c.state == cluster.StateRunning && (!ended || c.now.Sub(cs.EndTime) < recentWindow)
	if live {
		in.Vertices = c.vertices
	}
	var d *api.Diagnosis
	if f, ok := diagnosis.Explain(in); ok {
		d = c.toDiagnosis(f)
	}
	// The figures of an ended checkpoint's time are live now or never
	// again: what was found stays.
	if ended {
		s.diagnoses.mu.Lock()
		if s.diagnoses.findings == nil || len(s.diagnoses.findings) >= maxCachedDiagnoses {
			s.diagnoses.findings = map[diagnosisKey]*api.Diagnosis{}
		}
		s.diagnoses.findings[key] = d
		s.diagnoses.mu.Unlock()
	}
	return d
}

func (c *checkpointView) toDiagnosis(f diagnosis.Finding) *api.Diagnosis {
	d := &api.Diagnosis{Cause: f.Cause, Summary: f.Summary, Causes: f.Causes, Advice: f.Advice}
	if d.Causes == nil {
		d.Causes = []string{}
	}
	if d.Advice == nil {
		d.Advice = []string{}
	}
	if f.Bottleneck >= 0 {
		d.BottleneckVertex = c.vid(f.Bottleneck)
		if f.Bottleneck < len(c.vertices) {
			d.BottleneckVertexName = c.vertices[f.Bottleneck].Name
		}
	}
	for _, k := range f.Late {
		d.LateSubtasks = append(d.LateSubtasks, api.SubtaskRef{Vertex: c.vid(k.Vertex), Subtask: k.Subtask})
	}
	if f.HotVertex >= 0 && f.HotSubtask >= 0 {
		sub := f.HotSubtask
		d.HotVertex, d.HotSubtask = c.vid(f.HotVertex), &sub
	}
	return d
}

// withPercentiles adds to s the percentiles of values, as Flink's
// StatsSummaryDto has them; all 0 when there are none.
func withPercentiles(s api.MinMaxAvg, values []int64) api.StatsSummary {
	out := api.StatsSummary{MinMaxAvg: s}
	if len(values) == 0 {
		return out
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	out.P50, out.P90, out.P95 = Percentile(sorted, 50), Percentile(sorted, 90), Percentile(sorted, 95)
	out.P99, out.P999 = Percentile(sorted, 99), Percentile(sorted, 99.9)
	return out
}

// Percentile is the p-th percentile (0 < p <= 100) of sorted, which must be
// in ascending order and not empty, estimated as Flink's
// DescriptiveStatisticsHistogram does (Apache Commons Math's Percentile,
// default estimation): position p(n+1)/100, interpolated linearly between
// its neighbours, clamped to the smallest and largest value.
func Percentile(sorted []int64, p float64) float64 {
	n := len(sorted)
	pos := p * float64(n+1) / 100
	switch {
	case pos < 1:
		return float64(sorted[0])
	case pos >= float64(n):
		return float64(sorted[n-1])
	}
	i := int(math.Floor(pos))
	lo, hi := float64(sorted[i-1]), float64(sorted[i])
	return lo + (pos-float64(i))*(hi-lo)
}
